#!/usr/bin/env python3
# The CNI part of a NAT container's start, old list against new, interleaved on a scratch bridge
# of this process (hmx + pid, 10.197.N.0/24, nothing leaves the machine): the bridge plugin with
# ipMasq and the firewall plugin (before the network owned its masquerade and forward rules)
# against the bridge plugin alone (now). Prints the medians of ADD and DEL. Run as root.
import json, os, subprocess, sys, tempfile, time, statistics
ROUNDS = int(os.environ.get("HAMLET_BENCH_ROUNDS", "15"))
N = os.getpid() % 250
B = f"hmx{os.getpid()}"; NET = f"hamlet-{B}"; SUB = f"10.197.{N}.0/24"; GW = f"10.197.{N}.1"
DATA = tempfile.mkdtemp(prefix="hamlet-cni-cost-")
subprocess.run(f"ip link add {B} type bridge && ip addr add {GW}/24 dev {B} && ip link set {B} up", shell=True, check=True)
ipam={"type":"host-local","ranges":[[{"subnet":SUB,"gateway":GW}]],"routes":[{"dst":"0.0.0.0/0"}],"dataDir":DATA+"/ipam"}
def lst(old):
    p=[{"type":"bridge","bridge":B,"isGateway":True,"ipMasq":old,"hairpinMode":True,"ipam":ipam}]
    if old: p.append({"type":"firewall","backend":"iptables"})
    return p
def run(cmd, plugin, cid, ns, prev):
    c=dict(plugin); c["cniVersion"]="1.0.0"; c["name"]=NET
    if prev: c["prevResult"]=prev
    env=dict(PATH="/usr/sbin:/usr/bin:/sbin:/bin",CNI_COMMAND=cmd,CNI_CONTAINERID=cid,CNI_NETNS=ns,CNI_IFNAME="eth0",CNI_PATH="/usr/lib/cni")
    r=subprocess.run(["/usr/lib/cni/"+plugin["type"]],input=json.dumps(c).encode(),env=env,capture_output=True)
    if r.returncode: sys.exit((r.stdout+r.stderr).decode())
    return json.loads(r.stdout) if r.stdout.strip() else prev
def cycle(old, i):
    cid=f"{B}-{i}"; name=f"{B}ns{i}"; subprocess.run(["ip","netns","add",name]); ns=f"/run/netns/{name}"
    t=time.perf_counter(); prev=None
    for p in lst(old): prev=run("ADD",p,cid,ns,prev)
    add=(time.perf_counter()-t)*1000
    t=time.perf_counter()
    for p in reversed(lst(old)): run("DEL",p,cid,ns,prev)
    dele=(time.perf_counter()-t)*1000
    subprocess.run(["ip","netns","del",name]); return add, dele
res={True:[],False:[]}
for i in range(ROUNDS):
    for old in (True, False): res[old].append(cycle(old, i))
for old in (True, False):
    print("old (ipMasq + firewall)" if old else "new (bridge only)   ", "ADD median %.1f ms, DEL median %.1f ms" % (statistics.median(a for a,_ in res[old]), statistics.median(d for _,d in res[old])))
subprocess.run(["ip","link","del",B])
subprocess.run(["rm","-rf",DATA])

/*
 * A MINIMAL AppImage type-2 runtime, for building and testing Hamlet's AppImage on Debian, which
 * packages no AppImage runtime. It is NOT the official runtime and is not meant for releases (see
 * packaging/appimage/README.md): it links Debian's libsquashfuse and libfuse3 dynamically, so the
 * machine running the AppImage needs those two libraries and fusermount3.
 *
 * What it does, as the AppImage type-2 specification asks:
 *  - it is an ELF file carrying the magic "AI\x02" at offset 8 (written after linking);
 *  - the squashfs payload starts where the ELF ends, i.e. at the end of the section header table;
 *  - it mounts the payload read-only with FUSE on a fresh directory under $TMPDIR (or /tmp),
 *    runs $APPDIR/AppRun with APPDIR, APPIMAGE, ARGV0 and OWD set, and unmounts when AppRun's
 *    process ends (the FUSE server is a child that gets SIGTERM when its parent exits);
 *  - --appimage-offset prints the payload's offset, --appimage-extract unpacks it into
 *    ./squashfs-root (for machines without FUSE).
 */
#define _GNU_SOURCE
#include <squashfuse/ll.h>
#include <squashfuse/traverse.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sections the AppImage tools expect in a type-2 runtime (update information, signature, key). */
__attribute__((section(".upd_info"), used)) static char update_info[1024];
__attribute__((section(".sha256_sig"), used)) static char signature[1024];
__attribute__((section(".sig_key"), used)) static char signature_key[8192];

static void die(const char *what)
{
    fprintf(stderr, "AppImage runtime: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* The end of the ELF file: the section header table comes last. */
static off_t elf_size(const char *path)
{
    Elf64_Ehdr header;
    FILE *file = fopen(path, "rb");
    if (!file)
        die(path);
    if (fread(&header, sizeof header, 1, file) != 1 || memcmp(header.e_ident, ELFMAG, SELFMAG) != 0
        || header.e_ident[EI_CLASS] != ELFCLASS64) {
        fprintf(stderr, "AppImage runtime: %s is not a 64-bit ELF file\n", path);
        exit(1);
    }
    fclose(file);
    return (off_t)(header.e_shoff + (Elf64_Off)header.e_shentsize * header.e_shnum);
}

static void set_fuse_operations(struct fuse_lowlevel_ops *ops)
{
    memset(ops, 0, sizeof *ops);
    ops->getattr = sqfs_ll_op_getattr;
    ops->opendir = sqfs_ll_op_opendir;
    ops->releasedir = sqfs_ll_op_releasedir;
    ops->readdir = sqfs_ll_op_readdir;
    ops->lookup = sqfs_ll_op_lookup;
    ops->open = sqfs_ll_op_open;
    ops->create = sqfs_ll_op_create;
    ops->release = sqfs_ll_op_release;
    ops->read = sqfs_ll_op_read;
    ops->readlink = sqfs_ll_op_readlink;
    ops->listxattr = sqfs_ll_op_listxattr;
    ops->getxattr = sqfs_ll_op_getxattr;
    ops->forget = sqfs_ll_op_forget;
    ops->statfs = stfs_ll_op_statfs;
}

/* The FUSE server (a child process): mounts, tells the parent through `ready`, serves until its
 * parent (which became AppRun) exits, then unmounts and removes the mount point. */
static void serve(const char *image, off_t offset, const char *mountpoint, int ready, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(0);
    sqfs_ll *ll = sqfs_ll_open(image, (size_t)offset);
    if (!ll)
        _exit(1);
    char options[PATH_MAX + 64];
    snprintf(options, sizeof options, "ro,nodev,nosuid,subtype=appimage,fsname=%s", image);
    char *argv[] = {"appimage-runtime", "-o", options, NULL};
    struct fuse_args args = FUSE_ARGS_INIT(3, argv);
    struct fuse_lowlevel_ops ops;
    set_fuse_operations(&ops);
    sqfs_ll_chan channel;
    if (sqfs_ll_mount(&channel, mountpoint, &args, &ops, sizeof ops, ll) != SQFS_OK)
        _exit(1);
    if (write(ready, "1", 1) != 1)
        _exit(1);
    close(ready);
    int failed = 1;
    if (fuse_set_signal_handlers(channel.session) == 0) {
        failed = fuse_session_loop(channel.session) != 0;
        fuse_remove_signal_handlers(channel.session);
    }
    /* A multithreaded parent sends the parent-death signal once per exiting thread: the later ones
     * must not cut the unmount short. */
    prctl(PR_SET_PDEATHSIG, 0);
    signal(SIGTERM, SIG_IGN);
    sqfs_ll_unmount(&channel, mountpoint);
    sqfs_ll_destroy(ll);
    rmdir(mountpoint);
    _exit(failed);
}

static int write_file(sqfs *fs, sqfs_inode *inode, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, inode->base.mode & 07777);
    if (fd < 0)
        return -1;
    char buffer[65536];
    for (sqfs_off_t done = 0; done < (sqfs_off_t)inode->xtra.reg.file_size;) {
        sqfs_off_t size = sizeof buffer;
        if (sqfs_read_range(fs, inode, done, &size, buffer) != SQFS_OK || write(fd, buffer, size) != size) {
            close(fd);
            return -1;
        }
        done += size;
    }
    return close(fd);
}

/* --appimage-extract: the payload into ./squashfs-root, with modes and symlinks. */
static int extract(const char *image, off_t offset)
{
    sqfs fs;
    int fd = open(image, O_RDONLY);
    if (fd < 0 || sqfs_init(&fs, fd, (size_t)offset) != SQFS_OK) {
        fprintf(stderr, "AppImage runtime: no squashfs payload at offset %lld\n", (long long)offset);
        return 1;
    }
    sqfs_traverse traverse;
    if (mkdir("squashfs-root", 0755) != 0 && errno != EEXIST)
        die("squashfs-root");
    if (sqfs_traverse_open(&traverse, &fs, sqfs_inode_root(&fs)) != SQFS_OK)
        return 1;
    sqfs_err error = SQFS_OK;
    while (sqfs_traverse_next(&traverse, &error)) {
        if (traverse.dir_end)
            continue;
        sqfs_inode inode;
        if (sqfs_inode_get(&fs, &inode, sqfs_dentry_inode(&traverse.entry)) != SQFS_OK)
            return 1;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "squashfs-root/%s", traverse.path);
        int failed = 0;
        if (S_ISDIR(inode.base.mode)) {
            failed = mkdir(path, inode.base.mode & 07777) != 0 && errno != EEXIST;
        } else if (S_ISREG(inode.base.mode)) {
            failed = write_file(&fs, &inode, path) != 0;
        } else if (S_ISLNK(inode.base.mode)) {
            char target[PATH_MAX];
            size_t size = sizeof target;
            unlink(path);
            failed = sqfs_readlink(&fs, &inode, target, &size) != SQFS_OK || symlink(target, path) != 0;
        }
        if (failed)
            die(path);
    }
    sqfs_traverse_close(&traverse);
    sqfs_destroy(&fs);
    close(fd);
    return error == SQFS_OK ? 0 : 1;
}

int main(int argc, char *argv[])
{
    char image[PATH_MAX];
    if (!realpath("/proc/self/exe", image))
        die("/proc/self/exe");
    const off_t offset = elf_size(image);

    if (argc > 1 && strcmp(argv[1], "--appimage-offset") == 0) {
        printf("%lld\n", (long long)offset);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--appimage-extract") == 0)
        return extract(image, offset);
    if (argc > 1 && strncmp(argv[1], "--appimage-", 11) == 0) {
        fprintf(stderr,
                "This AppImage has Hamlet's minimal test runtime: it knows only --appimage-offset "
                "and --appimage-extract.\n");
        return 1;
    }

    const char *tmp = getenv("TMPDIR");
    char mountpoint[PATH_MAX];
    snprintf(mountpoint, sizeof mountpoint, "%s/.mount_hamletXXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(mountpoint))
        die("cannot create a mount point");

    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0)
        die("pipe");
    const pid_t parent = getpid();
    const pid_t server = fork();
    if (server < 0)
        die("fork");
    if (server == 0) {
        close(ready[0]);
        serve(image, offset, mountpoint, ready[1], parent);
    }
    close(ready[1]);
    char byte;
    if (read(ready[0], &byte, 1) != 1) {
        rmdir(mountpoint);
        fprintf(stderr,
                "AppImage runtime: cannot mount the AppImage with FUSE (are fuse3 and /dev/fuse "
                "available?); --appimage-extract unpacks it instead\n");
        return 1;
    }
    close(ready[0]);

    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd))
        setenv("OWD", cwd, 1);
    setenv("APPDIR", mountpoint, 1);
    setenv("APPIMAGE", image, 1);
    setenv("ARGV0", argv[0], 1);
    char apprun[PATH_MAX + 16];
    snprintf(apprun, sizeof apprun, "%s/AppRun", mountpoint);
    argv[0] = apprun;
    execv(apprun, argv);
    fprintf(stderr, "AppImage runtime: cannot run %s: %s\n", apprun, strerror(errno));
    kill(server, SIGTERM);
    return 127;
}

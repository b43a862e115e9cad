#pragma once

#include <QByteArray>
#include <QString>

#include <cstddef>

struct evp_md_ctx_st;

namespace Hamlet::Containers {

// SHA-256 through OpenSSL's EVP, which uses the CPU's SHA instructions: about 8x faster here
// than QCryptographicHash in Qt 6.4, and a pull hashes every byte twice (each blob as it
// streams, each layer's uncompressed tar against its diff id).
class Sha256
{
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;

    void add(const void *data, size_t size);
    void add(const QByteArray &data) { add(data.constData(), static_cast<size_t>(data.size())); }
    // "sha256:" + 64 lower-case hex digits of what was added so far (more may be added after).
    QString digest() const;

private:
    evp_md_ctx_st *m_context;
};

} // namespace Hamlet::Containers

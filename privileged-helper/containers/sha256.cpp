#include "sha256.h"

#include <openssl/evp.h>

namespace Hamlet::Containers {

Sha256::Sha256()
    : m_context(EVP_MD_CTX_new())
{
    EVP_DigestInit_ex(m_context, EVP_sha256(), nullptr);
}

Sha256::~Sha256()
{
    EVP_MD_CTX_free(m_context);
}

void Sha256::add(const void *data, size_t size)
{
    EVP_DigestUpdate(m_context, data, size);
}

QString Sha256::digest() const
{
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_MD_CTX *copy = EVP_MD_CTX_new();
    EVP_MD_CTX_copy_ex(copy, m_context);
    EVP_DigestFinal_ex(copy, hash, &length);
    EVP_MD_CTX_free(copy);
    return QStringLiteral("sha256:")
        + QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(hash), static_cast<qsizetype>(length)).toHex());
}

} // namespace Hamlet::Containers

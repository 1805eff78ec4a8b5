// The system OpenSSL libcrypto (libssl-dev), used only to compute CA signatures.
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/err.h>
#include <openssl/crypto.h>

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "image-crypto.h"
#include "macro.h"

/* crypto_kdf's context: eight bytes naming what the keys are for. */
#define KDF_CONTEXT "kjumpimg"
enum { SUBKEY_CHUNK = 1, SUBKEY_MAC = 2 };

_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == KJUMP_AEAD_TAG_SIZE, "AEAD tag size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == 32, "AEAD key size");
_Static_assert(crypto_kdf_KEYBYTES == KJUMP_KEY_SIZE, "master key size");
_Static_assert(crypto_generichash_BYTES_MAX >= KJUMP_MAC_SIZE, "MAC size");

int image_crypto_init(void) {
        return sodium_init() < 0 ? -EIO : 0;
}

int image_key_from_master(ImageKey *ret, const uint8_t master[KJUMP_KEY_SIZE]) {
        ImageKey k = { .set = true };

        if (image_crypto_init() < 0)
                return -EIO;
        memcpy(k.master, master, KJUMP_KEY_SIZE);
        if (crypto_kdf_derive_from_key(k.chunk, sizeof(k.chunk), SUBKEY_CHUNK, KDF_CONTEXT, k.master) != 0 ||
            crypto_kdf_derive_from_key(k.mac, sizeof(k.mac), SUBKEY_MAC, KDF_CONTEXT, k.master) != 0) {
                sodium_memzero(&k, sizeof(k));
                return -EIO;
        }
        *ret = k;
        sodium_memzero(&k, sizeof(k));
        return 0;
}

int image_key_generate(ImageKey *ret) {
        uint8_t master[KJUMP_KEY_SIZE];
        int r;

        if (image_crypto_init() < 0)
                return -EIO;
        crypto_kdf_keygen(master);
        r = image_key_from_master(ret, master);
        sodium_memzero(master, sizeof(master));
        return r;
}

void image_key_done(ImageKey *k) {
        sodium_memzero(k, sizeof(*k));
}

void image_mac(const ImageKey *k, const void *p, size_t n, uint8_t out[KJUMP_MAC_SIZE]) {
        crypto_generichash(out, KJUMP_MAC_SIZE, p, n, k->mac, sizeof(k->mac));
}

bool image_mac_equal(const uint8_t a[KJUMP_MAC_SIZE], const uint8_t b[KJUMP_MAC_SIZE]) {
        return sodium_memcmp(a, b, KJUMP_MAC_SIZE) == 0;
}

void image_header_mac(const ImageKey *k, const struct kjump_image_header *h, uint8_t out[KJUMP_MAC_SIZE]) {
        struct kjump_image_header fixed = *h;

        /* What changes after the image is written, by programs without the key. */
        fixed.state = 0;
        fixed.reason = 0;
        fixed.error = 0;
        memset(fixed.message, 0, sizeof(fixed.message));
        fixed.header_checksum = 0;
        memset(fixed.header_mac, 0, sizeof(fixed.header_mac));
        image_mac(k, &fixed, sizeof(fixed), out);
}

/* The nonce: the chunk's physical address, unique among an image's chunks
 * (the index check refuses overlapping chunks), under a key used for one
 * image only. The associated data: the image id and the index entry. */
static void chunk_nonce(const struct kjump_chunk *c, uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES]) {
        memset(nonce, 0, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
        memcpy(nonce, &c->phys_start, sizeof(c->phys_start));
}

typedef struct ChunkAd {
        uint8_t image_id[16];
        struct kjump_chunk entry;
} __attribute__((packed)) ChunkAd;

static void chunk_ad(const uint8_t image_id[16], const struct kjump_chunk *c, ChunkAd *ret) {
        memcpy(ret->image_id, image_id, 16);
        ret->entry = *c;
        ret->entry.data_offset = 0;
        ret->entry.data_size = 0;
}

int image_chunk_seal(const ImageKey *k, const uint8_t image_id[16], const struct kjump_chunk *c, uint8_t *data,
                     size_t n) {
        uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
        unsigned long long out_n;
        ChunkAd ad;

        chunk_nonce(c, nonce);
        chunk_ad(image_id, c, &ad);
        if (crypto_aead_xchacha20poly1305_ietf_encrypt(data, &out_n, data, n, (const uint8_t *) &ad, sizeof(ad), NULL,
                                                       nonce, k->chunk) != 0 ||
            out_n != n + KJUMP_AEAD_TAG_SIZE)
                return -EIO;
        return 0;
}

int image_chunk_open(const ImageKey *k, const uint8_t image_id[16], const struct kjump_chunk *c,
                     const uint8_t *data, size_t n, uint8_t *out) {
        uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
        unsigned long long out_n;
        ChunkAd ad;

        if (n < KJUMP_AEAD_TAG_SIZE)
                return -EBADMSG;
        chunk_nonce(c, nonce);
        chunk_ad(image_id, c, &ad);
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &out_n, NULL, data, n, (const uint8_t *) &ad, sizeof(ad),
                                                       nonce, k->chunk) != 0)
                return -EBADMSG;
        return 0;
}

void image_key_block_make(const ImageKey *k, const uint8_t image_id[16], struct kjump_key_block *ret) {
        memset(ret, 0, sizeof(*ret));
        memcpy(ret->magic, KJUMP_KEY_MAGIC, sizeof(ret->magic));
        ret->version = 1;
        memcpy(ret->image_id, image_id, sizeof(ret->image_id));
        memcpy(ret->key, k->master, sizeof(ret->key));
}

int image_key_block_parse(const struct kjump_key_block *block, const uint8_t image_id[16], ImageKey *ret) {
        if (memcmp(block->magic, KJUMP_KEY_MAGIC, sizeof(block->magic)) != 0 || block->version != 1 ||
            memcmp(block->image_id, image_id, sizeof(block->image_id)) != 0)
                return -ENOKEY;
        return image_key_from_master(ret, block->key);
}

const char *image_protection_to_string(uint32_t p) {
        switch (p) {
        case KJUMP_PROTECT_NONE:
                return "none";
        case KJUMP_PROTECT_LUKS:
                return "luks";
        case KJUMP_PROTECT_TPM2:
                return "tpm2";
        default:
                return NULL;
        }
}

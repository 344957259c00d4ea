/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The cryptography of protected images (include/kjump/image.h,
 * "Protection"), all of it from libsodium: XChaCha20-Poly1305 seals each
 * chunk, keyed BLAKE2b-256 authenticates the extent map, the index and the
 * header, and both keys are derived from the image's one random key with
 * crypto_kdf. Nothing here is home-made but the choice of inputs. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kjump/image.h"

typedef struct ImageKey {
        bool set;
        uint8_t master[KJUMP_KEY_SIZE]; /* what the key block holds */
        uint8_t chunk[32];              /* XChaCha20-Poly1305 key of the chunks */
        uint8_t mac[32];                /* BLAKE2b key of map, index and header */
} ImageKey;

/* libsodium's one-time set-up; safe to call again. -EIO when it fails. */
int image_crypto_init(void);

/* A new random key (the kernel's getrandom()). */
int image_key_generate(ImageKey *ret);
/* The key whose master key is MASTER. */
int image_key_from_master(ImageKey *ret, const uint8_t master[KJUMP_KEY_SIZE]);
/* Wipes K (sodium_memzero: not optimized away). */
void image_key_done(ImageKey *k);

/* Keyed BLAKE2b-256 of P. */
void image_mac(const ImageKey *k, const void *p, size_t n, uint8_t out[KJUMP_MAC_SIZE]);
/* Constant-time comparison of two MACs. */
bool image_mac_equal(const uint8_t a[KJUMP_MAC_SIZE], const uint8_t b[KJUMP_MAC_SIZE]);

/* The header's MAC (its fixed fields: include/kjump/image.h). */
void image_header_mac(const ImageKey *k, const struct kjump_image_header *h, uint8_t out[KJUMP_MAC_SIZE]);

/* Seals the chunk's N bytes of DATA in place (DATA has room for
 * KJUMP_AEAD_TAG_SIZE more) for the image IMAGE_ID; C is its index entry
 * with everything but data_offset and data_size filled in. */
int image_chunk_seal(const ImageKey *k, const uint8_t image_id[16], const struct kjump_chunk *c, uint8_t *data,
                     size_t n);
/* Opens a sealed chunk: N bytes of DATA (tag included) into OUT (N -
 * KJUMP_AEAD_TAG_SIZE bytes; may be DATA). -EBADMSG when it was changed,
 * spliced from another chunk or image, or sealed under another key. */
int image_chunk_open(const ImageKey *k, const uint8_t image_id[16], const struct kjump_chunk *c,
                     const uint8_t *data, size_t n, uint8_t *out);

/* The key block for IMAGE_ID holding K, and the key read back from one:
 * -ENOKEY when BLOCK is not the key block of IMAGE_ID (destroyed, never
 * written, or another image's). */
void image_key_block_make(const ImageKey *k, const uint8_t image_id[16], struct kjump_key_block *ret);
int image_key_block_parse(const struct kjump_key_block *block, const uint8_t image_id[16], ImageKey *ret);

const char *image_protection_to_string(uint32_t p);

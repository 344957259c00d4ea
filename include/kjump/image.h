/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kjump image format, version 2: the contract between kjumpctl/kjumpd
 * (which prepare and invalidate images), the helper's /init (which writes
 * and restores them) and the boot-time restore hook. docs/image-format.md
 * describes it in prose; this header is its definition.
 *
 * All integers are little-endian and fixed width. Offsets are bytes in the
 * image's logical space: the target's blocks in order (for a file target,
 * the file's offsets; for a partition, the partition's).
 *
 *   [0, 4096)                       header (struct kjump_image_header)
 *   [4096, data_start)              the target's extent map: map_count struct kjump_extent
 *   [data_start, +data_bytes)       chunk data, packed back to back
 *   [index_offset, +index_size)     the index: chunk_count struct kjump_chunk
 *
 * The header and the extent map lie in the target's first extent, so a
 * reader that knows only the block device and the physical offset of the
 * header (kjump.resume=DEVICE:OFFSET at boot, before any file system is
 * mounted) finds everything else through the map.
 *
 * A chunk covers up to KJUMP_CHUNK_PAGES consecutive 4 KiB pages of one RAM
 * range of the original kernel. Its present[] bitmap says which pages have
 * data; pages not present were zero, or free in the original kernel (its
 * buddy allocator's, found by the helper: their contents do not matter),
 * and are restored as zero. The data of
 * the present pages, in order, is stored compressed (or as is) at
 * data_offset. Every page of the original kernel's RAM outside the helper's
 * window is covered by exactly one chunk, so a restore writes every page.
 *
 * Integrity: each chunk carries an XXH3-64 of its uncompressed data seeded
 * with its physical address; the header carries an XXH3-64 of the index and
 * an XXH3-64 of itself (computed with header_checksum set to 0). These
 * catch damage, not forgery.
 *
 * Protection (version 2): unless protection is NONE, every chunk's data is
 * sealed with XChaCha20-Poly1305 under a random key made for this image
 * alone (the nonce is the chunk's physical address, unique in an image;
 * the associated data the image id and the chunk's index entry), so it is
 * unreadable without the key and any change to it is refused. The extent
 * map, the index and the header's fixed fields are authenticated with
 * keyed BLAKE2b-256 (map_mac, index_mac, header_mac) under keys derived
 * from the same key. The header's state, reason, error, message and
 * checksums are left out of header_mac: they change after the image is
 * written, by programs that no longer hold the key (an invalidation at
 * boot), and what keeps an INVALID or CONSUMED image from coming back is
 * that its key is destroyed. With LUKS protection the key lies in a key
 * block (struct kjump_key_block) at logical offset key_offset, inside the
 * dm-crypt volume the target lies on: the original system writes it through
 * the dm-crypt device (at key_device_offset on it), the helper never
 * touches it, the boot-time restore reads it through the unlocked volume.
 * With TPM2 protection the key lies in the TPM's NV index key_nv_index,
 * readable only under a policy on PCR 7, and nothing of it on any disk.
 *
 * Commit order: the header is written first with state WRITING, then the
 * data and the index, then everything is flushed, and only then is the
 * header rewritten with state VALID. A cut at any moment leaves either a
 * valid image or one whose state is not VALID.
 *
 * State moves forward only: WRITING -> VALID -> RESTORING -> CONSUMED, and
 * any state -> INVALID.
 */
#pragma once

#include <stdint.h>

#define KJUMP_IMAGE_MAGIC "KJUMPIMG"
#define KJUMP_IMAGE_VERSION 2
#define KJUMP_IMAGE_HEADER_SIZE 4096
#define KJUMP_PAGE_SIZE 4096
#define KJUMP_CHUNK_PAGES 256 /* 1 MiB of RAM per chunk */
#define KJUMP_MEMMAP_MAX 120
#define KJUMP_RELEASE_MAX 65
#define KJUMP_MESSAGE_MAX 160
#define KJUMP_CMDLINE_MAX 512
#define KJUMP_KEY_SIZE 32
#define KJUMP_MAC_SIZE 32
#define KJUMP_AEAD_TAG_SIZE 16 /* added to each protected chunk's data */
#define KJUMP_KEY_MAGIC "KJUMPKEY"

enum kjump_image_state {
        KJUMP_STATE_EMPTY = 0,     /* a fresh target, never written */
        KJUMP_STATE_WRITING = 1,   /* the helper is writing: not restorable */
        KJUMP_STATE_VALID = 2,     /* complete, restorable once */
        KJUMP_STATE_RESTORING = 3, /* a restore started: never again */
        KJUMP_STATE_CONSUMED = 4,  /* restored and running: never again */
        KJUMP_STATE_INVALID = 5,   /* failed, tested, or refused: never */
        _KJUMP_STATE_MAX,
};

enum kjump_compression {
        KJUMP_COMPRESS_STORED = 0,
        KJUMP_COMPRESS_LZ4 = 1,
        KJUMP_COMPRESS_ZSTD = 2,
        _KJUMP_COMPRESS_MAX,
};

/* How an image's data is protected (header.protection). */
enum kjump_protection {
        KJUMP_PROTECT_NONE = 0,        /* plaintext, checksums only: Encryption=none */
        KJUMP_PROTECT_LUKS = 1,        /* encrypted; the key in a key block inside the dm-crypt volume */
        KJUMP_PROTECT_TPM2 = 2,        /* encrypted; the key in an NV index of the TPM (key_nv_index) */
        _KJUMP_PROTECT_MAX,
};

/* Why an image is INVALID (header.reason). */
enum kjump_image_reason {
        KJUMP_REASON_NONE = 0,
        KJUMP_REASON_TEST = 1,         /* written by a test mode: the original kernel ran on */
        KJUMP_REASON_ERROR = 2,        /* the helper failed; see error and message */
        KJUMP_REASON_NORESUME = 3,     /* kjump.noresume at boot */
        KJUMP_REASON_MISMATCH = 4,     /* not for this machine (memory map, kernel) */
        KJUMP_REASON_CORRUPT = 5,      /* a checksum failed */
        KJUMP_REASON_INVALIDATED = 6,  /* invalidated by the user or a normal boot */
        KJUMP_REASON_WOKEN = 7,        /* hybrid sleep: woken from RAM, the original kernel runs on */
        KJUMP_REASON_CANCELLED = 8,    /* the user pressed Esc while the image was written */
        _KJUMP_REASON_MAX,
};

/* kjump_memmap_entry.type */
#define KJUMP_MEMMAP_RAM 1
#define KJUMP_MEMMAP_OTHER 2

struct kjump_memmap_entry {
        uint64_t start;  /* physical, inclusive */
        uint64_t end;    /* physical, exclusive */
        uint32_t type;   /* KJUMP_MEMMAP_RAM or KJUMP_MEMMAP_OTHER */
        uint32_t reserved;
} __attribute__((packed));

struct kjump_image_header {
        char magic[8];                 /* KJUMP_IMAGE_MAGIC, not NUL-terminated */
        uint32_t version;              /* KJUMP_IMAGE_VERSION */
        uint32_t header_size;          /* KJUMP_IMAGE_HEADER_SIZE */
        uint32_t state;                /* enum kjump_image_state */
        uint32_t reason;               /* enum kjump_image_reason, when INVALID */
        int32_t error;                 /* errno of a failure, or 0 */
        uint32_t compression;          /* enum kjump_compression used by default */
        uint8_t image_id[16];          /* random, new for every hibernation */
        uint8_t boot_id[16];           /* the original kernel's boot id */
        char kernel_release[KJUMP_RELEASE_MAX]; /* uname -r of the original kernel, NUL-terminated */
        uint8_t pad0[7];
        uint64_t created_usec;         /* CLOCK_REALTIME when the image was prepared */
        uint64_t written_usec;         /* CLOCK_REALTIME when it was committed */
        uint64_t jump_back_entry;      /* the original kernel's kexec re-entry point */
        uint64_t window_start;         /* the helper's window: [start, end) */
        uint64_t window_end;
        uint64_t target_size;          /* bytes of the logical space */
        uint64_t ram_bytes;            /* RAM covered by the chunks */
        uint64_t pages_total;          /* pages covered by the chunks */
        uint64_t pages_stored;         /* pages with data (the rest were zero) */
        uint64_t data_bytes;           /* bytes of chunk data */
        uint64_t chunk_count;
        uint64_t index_offset;
        uint64_t index_size;           /* chunk_count * sizeof(struct kjump_chunk) */
        uint64_t index_checksum;       /* XXH3-64 of the index */
        uint64_t write_usec;           /* time the helper took to write */
        uint64_t data_start;           /* where chunk data begins, after the extent map */
        uint64_t map_checksum;         /* XXH3-64 of the extent map */
        uint32_t map_count;            /* extents in the map */
        uint32_t reserved1;
        uint32_t memmap_count;
        uint32_t reserved0;
        struct kjump_memmap_entry memmap[KJUMP_MEMMAP_MAX]; /* the firmware memory map */
        char message[KJUMP_MESSAGE_MAX]; /* human-readable reason, NUL-terminated */
        char helper_cmdline[KJUMP_CMDLINE_MAX]; /* the helper's command line, to boot it again
                                                   confined the same way for a restore */
        uint64_t pages_free;           /* pages not saved because they were free (a subset of
                                          pages_total - pages_stored); 0 in older images */
        uint32_t protection;           /* enum kjump_protection */
        uint32_t key_nv_index;         /* TPM2: the NV index that holds the key, else 0 */
        uint64_t key_offset;           /* LUKS: logical offset of the key block (4096 bytes), else 0 */
        uint64_t key_device_offset;    /* LUKS: the key block's byte offset on the dm-crypt device */
        uint8_t map_mac[KJUMP_MAC_SIZE];    /* protected: keyed BLAKE2b of the extent map */
        uint8_t index_mac[KJUMP_MAC_SIZE];  /* protected: keyed BLAKE2b of the index */
        uint8_t header_mac[KJUMP_MAC_SIZE]; /* protected: keyed BLAKE2b of the header's fixed fields */
        /* The free-page map: one bit per page of the chunks, in their
         * order, set for a page left out because it was free in the
         * original kernel. A restore leaves those pages alone and zeroes
         * only the other absent pages. 0 in images without one (older
         * ones, or an original kernel that needs its free pages zero):
         * every absent page is restored as zero. */
        uint64_t free_map_offset;      /* logical, page aligned, after the index */
        uint64_t free_map_size;        /* (pages_total + 7) / 8 bytes */
        uint64_t free_map_checksum;    /* XXH3-64 */
        uint8_t free_map_mac[KJUMP_MAC_SIZE]; /* protected: keyed BLAKE2b of the free-page map */
        uint8_t reserved[4096 - 8 - 6 * 4 - 32 - KJUMP_RELEASE_MAX - 7 - 17 * 8 - 8 - 8 -
                         KJUMP_MEMMAP_MAX * 24 - KJUMP_MESSAGE_MAX - KJUMP_CMDLINE_MAX - 8 - 8 - 3 * 8 -
                         3 * KJUMP_MAC_SIZE - 3 * 8 - KJUMP_MAC_SIZE];
        uint64_t header_checksum;      /* XXH3-64 of the header with this field 0 */
} __attribute__((packed));

/* The key of a LUKS-protected image, in the block at key_offset. */
struct kjump_key_block {
        char magic[8];                 /* KJUMP_KEY_MAGIC */
        uint32_t version;              /* 1 */
        uint32_t reserved0;
        uint8_t image_id[16];          /* the image it opens */
        uint8_t key[KJUMP_KEY_SIZE];
        uint8_t reserved[4096 - 8 - 8 - 16 - KJUMP_KEY_SIZE];
} __attribute__((packed));

struct kjump_extent {
        uint64_t logical;              /* offset in the image's logical space */
        uint64_t physical;             /* offset on the block device */
        uint64_t length;
} __attribute__((packed));

struct kjump_chunk {
        uint64_t phys_start;           /* physical address of the first page */
        uint32_t page_count;           /* 1..KJUMP_CHUNK_PAGES */
        uint32_t compression;          /* enum kjump_compression */
        uint64_t data_offset;          /* where its data starts */
        uint32_t data_size;            /* bytes stored (0 when no page is present), with the
                                          AEAD tag when protected */
        uint32_t raw_size;             /* present pages * 4096 */
        uint64_t checksum;             /* XXH3-64 of the raw data, seed = phys_start */
        uint8_t present[KJUMP_CHUNK_PAGES / 8]; /* bit i: page i has data */
} __attribute__((packed));

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "kjump images are little-endian, like the x86 hosts kexec jump exists on");
_Static_assert(sizeof(struct kjump_image_header) == KJUMP_IMAGE_HEADER_SIZE, "header size");
_Static_assert(sizeof(struct kjump_chunk) == 72, "chunk size");
_Static_assert(sizeof(struct kjump_memmap_entry) == 24, "memmap entry size");
_Static_assert(sizeof(struct kjump_extent) == 24, "extent size");
_Static_assert(sizeof(struct kjump_key_block) == 4096, "key block size");

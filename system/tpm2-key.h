/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Key custody in a TPM 2.0 (Encryption=tpm2): the image's key lives in an
 * NV index of the TPM, never on a disk. The index can be read only
 * through a policy on PCR 7 (the Secure Boot state, as
 * systemd-cryptenroll binds by default), so the key is released to the
 * boot that this machine's firmware makes, not to another OS or another
 * machine; it is written with owner authorization (empty, as on most
 * machines) and destroyed by undefining the index. All of it through
 * tpm2-tss's ESAPI (libtss2-esys). */

#include <stdint.h>
#include <tss2/tss2_tcti.h>

#include "image-crypto.h"

/* The NV index kjump uses: in the owner's range (TCG registry of reserved
 * handles: 0x01800000-0x01BFFFFF), "KJ". */
#define KJUMP_TPM2_NV_INDEX UINT32_C(0x01804b4a)
/* The PCR the key is bound to. */
#define KJUMP_TPM2_PCR 7

/* /dev/tpmrm0 (the kernel's resource manager), or -ENODEV. Free with
 * tpm2_tcti_free(). */
int tpm2_tcti_device(TSS2_TCTI_CONTEXT **ret);
void tpm2_tcti_free(TSS2_TCTI_CONTEXT *tcti);

/* Stores KEY for IMAGE_ID in the NV index, replacing what was there. */
int tpm2_key_store(TSS2_TCTI_CONTEXT *tcti, const ImageKey *key, const uint8_t image_id[16]);
/* Reads the key of IMAGE_ID: -ENOKEY when the index holds none (never
 * written, destroyed, another image's), -EPERM when the PCR policy fails
 * (another boot chain). */
int tpm2_key_load(TSS2_TCTI_CONTEXT *tcti, const uint8_t image_id[16], ImageKey *ret);
/* Undefines the index: the key is gone. 0 also when there was none. */
int tpm2_key_destroy(TSS2_TCTI_CONTEXT *tcti);

/* The same three on this machine's TPM (/dev/tpmrm0; -ENODEV: none). */
int tpm2_device_key_store(const ImageKey *key, const uint8_t image_id[16]);
int tpm2_device_key_load(const uint8_t image_id[16], ImageKey *ret);
int tpm2_device_key_destroy(void);

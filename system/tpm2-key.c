/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tcti_device.h>

#include "log.h"
#include "macro.h"
#include "tpm2-key.h"

/* What the index holds: the image it opens, and its key. */
typedef struct NvKey {
        uint8_t image_id[16];
        uint8_t key[KJUMP_KEY_SIZE];
} __attribute__((packed)) NvKey;

static int rc_to_errno(TSS2_RC rc) {
        if (rc == TSS2_RC_SUCCESS)
                return 0;
        if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER)
                return -EIO;
        if (rc & TPM2_RC_FMT1) {
                /* Format 1: the error, plus which handle, session or parameter. */
                TSS2_RC code = rc & (TPM2_RC_FMT1 | 0x03f);

                if (code == TPM2_RC_POLICY_FAIL)
                        return -EPERM;
                if (code == TPM2_RC_HANDLE)
                        return -ENOKEY;
                return -EIO;
        }
        if ((rc & 0xfff) == TPM2_RC_NV_UNINITIALIZED)
                return -ENOKEY;
        return -EIO;
}

int tpm2_tcti_device(TSS2_TCTI_CONTEXT **ret) {
        size_t size = 0;
        TSS2_TCTI_CONTEXT *t;

        if (Tss2_Tcti_Device_Init(NULL, &size, "/dev/tpmrm0") != TSS2_RC_SUCCESS)
                return -ENODEV;
        t = calloc(1, size);
        if (!t)
                return -ENOMEM;
        if (Tss2_Tcti_Device_Init(t, &size, "/dev/tpmrm0") != TSS2_RC_SUCCESS) {
                free(t);
                return -ENODEV;
        }
        *ret = t;
        return 0;
}

void tpm2_tcti_free(TSS2_TCTI_CONTEXT *tcti) {
        if (!tcti)
                return;
        Tss2_Tcti_Finalize(tcti);
        free(tcti);
}

static int esys_open(TSS2_TCTI_CONTEXT *tcti, ESYS_CONTEXT **ret) {
        TSS2_RC rc;

        /* tpm2-tss logs every TPM error on stderr, expected ones too (an
         * index that does not exist yet): kjump says what matters itself. */
        (void) setenv("TSS2_LOG", "all+none", 0);
        rc = Esys_Initialize(ret, tcti, NULL);

        if (rc != TSS2_RC_SUCCESS) {
                log_debug("Esys_Initialize failed: 0x%x", rc);
                return -EIO;
        }
        return 0;
}

static const TPML_PCR_SELECTION pcr_selection = {
        .count = 1,
        .pcrSelections = { {
                .hash = TPM2_ALG_SHA256,
                .sizeofSelect = 3,
                .pcrSelect = { 1u << (KJUMP_TPM2_PCR % 8), 0, 0 },
        } },
};

/* A policy session (or a trial one) that has run PolicyPCR. */
static int pcr_session(ESYS_CONTEXT *c, TPM2_SE type, ESYS_TR *ret) {
        static const TPMT_SYM_DEF none = { .algorithm = TPM2_ALG_NULL };
        ESYS_TR s = ESYS_TR_NONE;
        TSS2_RC rc;

        rc = Esys_StartAuthSession(c, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL, type,
                                   &none, TPM2_ALG_SHA256, &s);
        if (rc != TSS2_RC_SUCCESS)
                return rc_to_errno(rc);
        rc = Esys_PolicyPCR(c, s, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL, &pcr_selection);
        if (rc != TSS2_RC_SUCCESS) {
                Esys_FlushContext(c, s);
                return rc_to_errno(rc);
        }
        *ret = s;
        return 0;
}

static int undefine(ESYS_CONTEXT *c) {
        ESYS_TR nv = ESYS_TR_NONE;
        TSS2_RC rc;

        rc = Esys_TR_FromTPMPublic(c, KJUMP_TPM2_NV_INDEX, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
        if (rc != TSS2_RC_SUCCESS)
                return 0; /* no such index */
        rc = Esys_NV_UndefineSpace(c, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE);
        if (rc != TSS2_RC_SUCCESS) {
                Esys_TR_Close(c, &nv);
                return rc_to_errno(rc);
        }
        return 0;
}

int tpm2_key_store(TSS2_TCTI_CONTEXT *tcti, const ImageKey *key, const uint8_t image_id[16]) {
        ESYS_CONTEXT *c = NULL;
        ESYS_TR trial = ESYS_TR_NONE, nv = ESYS_TR_NONE;
        TPM2B_DIGEST *policy = NULL;
        TPM2B_MAX_NV_BUFFER data = { .size = sizeof(NvKey) };
        NvKey k;
        TSS2_RC rc;
        int r;

        r = esys_open(tcti, &c);
        if (r < 0)
                return r;
        /* The policy digest for PCR 7 as it is now. */
        r = pcr_session(c, TPM2_SE_TRIAL, &trial);
        if (r < 0)
                goto finish;
        rc = Esys_PolicyGetDigest(c, trial, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &policy);
        Esys_FlushContext(c, trial);
        if (rc != TSS2_RC_SUCCESS) {
                r = rc_to_errno(rc);
                goto finish;
        }
        r = undefine(c);
        if (r < 0)
                goto finish;
        {
                TPM2B_NV_PUBLIC pub = {
                        .nvPublic = {
                                .nvIndex = KJUMP_TPM2_NV_INDEX,
                                .nameAlg = TPM2_ALG_SHA256,
                                .attributes = TPMA_NV_OWNERWRITE | TPMA_NV_POLICYREAD | TPMA_NV_NO_DA,
                                .authPolicy = *policy,
                                .dataSize = sizeof(NvKey),
                        },
                };
                TPM2B_AUTH empty = {};

                rc = Esys_NV_DefineSpace(c, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &empty,
                                         &pub, &nv);
                if (rc != TSS2_RC_SUCCESS) {
                        r = rc_to_errno(rc);
                        goto finish;
                }
        }
        memcpy(k.image_id, image_id, sizeof(k.image_id));
        memcpy(k.key, key->master, sizeof(k.key));
        memcpy(data.buffer, &k, sizeof(k));
        explicit_bzero(&k, sizeof(k));
        rc = Esys_NV_Write(c, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &data, 0);
        explicit_bzero(&data, sizeof(data));
        r = rc_to_errno(rc);
finish:
        free(policy);
        if (nv != ESYS_TR_NONE)
                Esys_TR_Close(c, &nv);
        Esys_Finalize(&c);
        return r;
}

int tpm2_key_load(TSS2_TCTI_CONTEXT *tcti, const uint8_t image_id[16], ImageKey *ret) {
        ESYS_CONTEXT *c = NULL;
        ESYS_TR session = ESYS_TR_NONE, nv = ESYS_TR_NONE;
        TPM2B_MAX_NV_BUFFER *data = NULL;
        NvKey k;
        TSS2_RC rc;
        int r;

        r = esys_open(tcti, &c);
        if (r < 0)
                return r;
        rc = Esys_TR_FromTPMPublic(c, KJUMP_TPM2_NV_INDEX, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
        if (rc != TSS2_RC_SUCCESS) {
                r = -ENOKEY;
                goto finish;
        }
        r = pcr_session(c, TPM2_SE_POLICY, &session);
        if (r < 0)
                goto finish;
        rc = Esys_NV_Read(c, nv, nv, session, ESYS_TR_NONE, ESYS_TR_NONE, sizeof(NvKey), 0, &data);
        Esys_FlushContext(c, session);
        if (rc != TSS2_RC_SUCCESS) {
                r = rc_to_errno(rc);
                goto finish;
        }
        if (data->size != sizeof(NvKey)) {
                r = -ENOKEY;
                goto finish;
        }
        memcpy(&k, data->buffer, sizeof(k));
        if (memcmp(k.image_id, image_id, sizeof(k.image_id)) != 0)
                r = -ENOKEY;
        else
                r = image_key_from_master(ret, k.key);
        explicit_bzero(&k, sizeof(k));
finish:
        if (data) {
                explicit_bzero(data, sizeof(*data));
                free(data);
        }
        if (nv != ESYS_TR_NONE)
                Esys_TR_Close(c, &nv);
        Esys_Finalize(&c);
        return r;
}

int tpm2_key_destroy(TSS2_TCTI_CONTEXT *tcti) {
        ESYS_CONTEXT *c = NULL;
        int r;

        r = esys_open(tcti, &c);
        if (r < 0)
                return r;
        r = undefine(c);
        Esys_Finalize(&c);
        return r;
}

int tpm2_device_key_store(const ImageKey *key, const uint8_t image_id[16]) {
        TSS2_TCTI_CONTEXT *tcti = NULL;
        int r = tpm2_tcti_device(&tcti);

        if (r >= 0)
                r = tpm2_key_store(tcti, key, image_id);
        tpm2_tcti_free(tcti);
        return r;
}

int tpm2_device_key_load(const uint8_t image_id[16], ImageKey *ret) {
        TSS2_TCTI_CONTEXT *tcti = NULL;
        int r = tpm2_tcti_device(&tcti);

        if (r >= 0)
                r = tpm2_key_load(tcti, image_id, ret);
        tpm2_tcti_free(tcti);
        return r;
}

int tpm2_device_key_destroy(void) {
        TSS2_TCTI_CONTEXT *tcti = NULL;
        int r = tpm2_tcti_device(&tcti);

        if (r >= 0)
                r = tpm2_key_destroy(tcti);
        tpm2_tcti_free(tcti);
        return r;
}

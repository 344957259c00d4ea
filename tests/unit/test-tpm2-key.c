/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Key custody in a TPM 2.0 against a real TPM: swtpm, the TPM emulator
 * QEMU uses, over its TCP interface (tpm2-tss's swtpm TCTI). The key comes
 * back for its image only, not after PCR 7 changed, and never after it is
 * destroyed. Skipped (77) when swtpm is not installed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tcti_swtpm.h>
#include <unistd.h>

#include "macro.h"
#include "tests.h"
#include "tpm2-key.h"

static pid_t swtpm_pid;
static char state_dir[] = "/tmp/test-tpm2-XXXXXX";

static void stop_swtpm(void) {
        if (swtpm_pid > 0) {
                kill(swtpm_pid, SIGTERM);
                waitpid(swtpm_pid, NULL, 0);
                swtpm_pid = 0;
        }
}

static bool port_open(unsigned port) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool ok;

        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ok = fd >= 0 && connect(fd, (struct sockaddr *) &a, sizeof(a)) == 0;
        if (fd >= 0)
                close(fd);
        return ok;
}

static unsigned start_swtpm(void) {
        unsigned port = 20000 + (unsigned) getpid() % 20000 * 2 % 20000;
        char server[96], ctrl[96], state[96];

        ASSERT(mkdtemp(state_dir));
        snprintf(server, sizeof(server), "type=tcp,port=%u,bindaddr=127.0.0.1", port);
        snprintf(ctrl, sizeof(ctrl), "type=tcp,port=%u,bindaddr=127.0.0.1", port + 1);
        snprintf(state, sizeof(state), "dir=%s", state_dir);
        swtpm_pid = fork();
        ASSERT(swtpm_pid >= 0);
        if (swtpm_pid == 0) {
                execlp("swtpm", "swtpm", "socket", "--tpm2", "--tpmstate", state, "--server", server, "--ctrl", ctrl,
                       "--flags", "not-need-init,startup-clear", (char *) NULL);
                _exit(127);
        }
        for (int i = 0; i < 1000; i++) {
                int status;

                if (port_open(port))
                        return port;
                ASSERT(waitpid(swtpm_pid, &status, WNOHANG) == 0);
                nanosleep(&(struct timespec) { 0, 10 * 1000 * 1000 }, NULL);
        }
        abort();
}

static TSS2_TCTI_CONTEXT *tcti_swtpm(unsigned port) {
        char conf[64];
        size_t size = 0;
        TSS2_TCTI_CONTEXT *t;

        snprintf(conf, sizeof(conf), "host=127.0.0.1,port=%u", port);
        ASSERT(Tss2_Tcti_Swtpm_Init(NULL, &size, conf) == TSS2_RC_SUCCESS);
        t = calloc(1, size);
        ASSERT(t);
        ASSERT(Tss2_Tcti_Swtpm_Init(t, &size, conf) == TSS2_RC_SUCCESS);
        return t;
}

/* As a boot chain that differs would leave it: PCR 7 extended. */
static void extend_pcr7(TSS2_TCTI_CONTEXT *tcti) {
        ESYS_CONTEXT *c = NULL;
        TPML_DIGEST_VALUES d = { .count = 1, .digests = { { .hashAlg = TPM2_ALG_SHA256 } } };

        memset(d.digests[0].digest.sha256, 0x42, sizeof(d.digests[0].digest.sha256));
        ASSERT(Esys_Initialize(&c, tcti, NULL) == TSS2_RC_SUCCESS);
        ASSERT(Esys_PCR_Extend(c, ESYS_TR_PCR0 + KJUMP_TPM2_PCR, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &d) ==
               TSS2_RC_SUCCESS);
        Esys_Finalize(&c);
}

int main(void) {
        _cleanup_(image_key_done) ImageKey key = {}, got = {};
        static const uint8_t id[16] = "image-id-one....", other[16] = "image-id-two....";
        TSS2_TCTI_CONTEXT *tcti;
        unsigned port;

        if (system("command -v swtpm >/dev/null 2>&1") != 0) {
                fprintf(stderr, "swtpm is not installed: skipped\n");
                return 77;
        }
        port = start_swtpm();
        atexit(stop_swtpm);
        tcti = tcti_swtpm(port);

        ASSERT_OK(image_key_generate(&key));
        ASSERT_ERR(tpm2_key_load(tcti, id, &got), ENOKEY); /* nothing stored yet */
        ASSERT_OK(tpm2_key_store(tcti, &key, id));
        ASSERT_OK(tpm2_key_load(tcti, id, &got));
        ASSERT(memcmp(got.master, key.master, sizeof(key.master)) == 0);
        ASSERT(memcmp(got.chunk, key.chunk, sizeof(key.chunk)) == 0);
        ASSERT_ERR(tpm2_key_load(tcti, other, &got), ENOKEY); /* another image's */

        /* Another boot chain: the policy fails, nothing is released. */
        extend_pcr7(tcti);
        ASSERT_ERR(tpm2_key_load(tcti, id, &got), EPERM);

        /* Stored again under the PCR as it is now, then destroyed. */
        ASSERT_OK(tpm2_key_store(tcti, &key, id));
        ASSERT_OK(tpm2_key_load(tcti, id, &got));
        ASSERT_OK(tpm2_key_destroy(tcti));
        ASSERT_ERR(tpm2_key_load(tcti, id, &got), ENOKEY);
        ASSERT_OK(tpm2_key_destroy(tcti)); /* nothing left: still fine */

        tpm2_tcti_free(tcti);
        stop_swtpm();
        {
                char cmd[128];
                snprintf(cmd, sizeof(cmd), "rm -rf %s", state_dir);
                (void) system(cmd);
        }
        return 0;
}

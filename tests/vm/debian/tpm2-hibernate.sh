# Plain ext4 root, no dm-crypt: Encryption=tpm2 keeps the image's key in the
# TPM (swtpm, QEMU's tpm-tis), the image on the root file system is
# ciphertext; restored by the initramfs, which reads the key from the TPM.
wait_for_kjumpd
if grep -qw kjump.expect=kjumpd-invalidates /proc/cmdline; then
    # The third boot, with a wrong resume location and kjump-clear.service
    # masked: kjumpd invalidated the image at its start, and destroyed its
    # key in the TPM with it.
    systemctl is-active -q kjump-clear.service && fail "kjump-clear.service ran although masked"
    kjumpctl inspect --json > /tmp/inspect; cat /tmp/inspect
    grep -q '"state":"invalid"' /tmp/inspect || fail "kjumpd did not invalidate the image this boot did not restore"
    grep -q '"message":"booted without restoring"' /tmp/inspect || fail "the image was not invalidated at boot"
    verify_key_destroyed tpm2
    event verified
    finish PASS
fi
[ -e /dev/tpmrm0 ] || fail "no TPM in the guest (/dev/tpmrm0)"
mkdir -p /etc/kjump
printf '[Hibernate]\nEncryption=tpm2\n' > /etc/kjump/kjump.conf
setup_target
kjumpctl check > /tmp/check.out 2>&1
cat /tmp/check.out
grep -q "protection: encrypted and authenticated; the key in the TPM, released only while PCR 7 is as now" \
    /tmp/check.out || fail "kjumpctl check did not say the key is in the TPM"
hold_plaintext_marker
before_hibernate
systemctl hibernate || fail "systemctl hibernate failed"
wait_for_post "systemctl hibernate"
verify_after_resume
verify_key_destroyed tpm2
event verified-restore
# Once more, with kjump-clear.service masked (as if it had not run, or ran
# before the TPM's driver): the rig boots next with a wrong location.
systemctl mask kjump-clear.service || fail "cannot mask kjump-clear.service"
systemctl hibernate || fail "systemctl hibernate failed"
wait_for_post "systemctl hibernate"
fail "the second image was restored by a boot with a wrong resume location"


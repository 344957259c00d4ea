# Plain ext4 root, no dm-crypt: Encryption=tpm2 keeps the image's key in the
# TPM (swtpm, QEMU's tpm-tis), the image on the root file system is
# ciphertext; restored by the initramfs, which reads the key from the TPM.
wait_for_kjumpd
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
event verified
finish PASS

# The root file system on LUKS2 (LAYOUT=luks: Fedora's and Arch's
# encrypted layout, image file on root) or on LVM on LUKS2
# (LAYOUT=lvm-luks: the Debian installer's "guided - use entire disk and
# set up encrypted LVM"), built inside this guest on its second disk (the
# host has no device-mapper). Sourced by luks-hibernate.sh and
# lvm-luks-hibernate.sh; kjump.phase= says which boot this is:
#   setup      on the plain root: luksFormat, copy the root into the volume,
#              an initramfs that unlocks it (keyfile in the initramfs, or a
#              passphrase typed at the console: PASSPHRASE=), left on the
#              plain root for the rig to boot with
#   hibernate  on the encrypted root: setup-target, the plaintext marker and
#              the volume key said for the rig, systemctl hibernate; after
#              the restore, the workload, the image consumed, its key gone
#   fsck       on the plain root again, after a clean shutdown of the
#              encrypted one: the volume opened with the keyfile, e2fsck -fn
key=/etc/keys/root.key
phase=$(sed -n 's/.*kjump\.phase=\([^ ]*\).*/\1/p' /proc/cmdline)
case $LAYOUT in
luks) rootdev=/dev/mapper/cryptroot layout_line="on ext4 on dm-crypt cryptroot on /dev/vdb" ;;
lvm-luks) rootdev=/dev/mapper/kjvg-root
          layout_line="on ext4 on LVM/device-mapper kjvg-root (linear) on dm-crypt cryptroot on /dev/vdb" ;;
*) fail "unknown LAYOUT=$LAYOUT" ;;
esac

encrypted_root_setup() {
    local rel uuid
    rel=$(uname -r)
    mkdir -p /etc/keys && chmod 700 /etc/keys
    head -c 64 /dev/urandom > "$key" && chmod 600 "$key"
    # PBKDF2 with a short iteration time: argon2id's memory and time would
    # only slow the emulated guest down; kjump does not depend on it.
    cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --iter-time 100 --key-file "$key" /dev/vdb ||
        fail "luksFormat failed"
    if [ -n "${PASSPHRASE:-}" ]; then
        printf %s "$PASSPHRASE" > /tmp/pass
        cryptsetup luksAddKey -q --pbkdf pbkdf2 --iter-time 100 --key-file "$key" /dev/vdb /tmp/pass ||
            fail "luksAddKey failed"
        rm -f /tmp/pass
    fi
    cryptsetup open --key-file "$key" /dev/vdb cryptroot || fail "cryptsetup open failed"
    if [ "$LAYOUT" = lvm-luks ]; then
        pvcreate -q /dev/mapper/cryptroot && vgcreate -q kjvg /dev/mapper/cryptroot &&
            lvcreate -q -y -n root -l 100%FREE kjvg >/dev/null || fail "LVM on LUKS failed"
    fi
    mkfs.ext4 -q "$rootdev" || fail "mkfs.ext4 failed"
    mkdir -p /mnt/new /mnt/src
    mount "$rootdev" /mnt/new || fail "cannot mount the new root"
    # The root file system as it is on the disk (a bind mount: no /proc,
    # /run or /tmp contents).
    mount --bind / /mnt/src || fail "cannot bind-mount /"
    cp -a /mnt/src/. /mnt/new/ || fail "cannot copy the root"
    umount /mnt/src
    echo "$rootdev / ext4 rw,errors=remount-ro 0 1" > /mnt/new/etc/fstab
    uuid=$(cryptsetup luksUUID /dev/vdb)
    if [ -n "${PASSPHRASE:-}" ]; then
        echo "cryptroot UUID=$uuid none luks" > /mnt/new/etc/crypttab
    else
        # Debian's cryptsetup-initramfs puts a root keyfile into the
        # initramfs when KEYFILE_PATTERN matches it (cryptsetup(8), crypttab(5)).
        echo "cryptroot UUID=$uuid $key luks" > /mnt/new/etc/crypttab
        echo 'KEYFILE_PATTERN="/etc/keys/*.key"' >> /mnt/new/etc/cryptsetup-initramfs/conf-hook
        echo UMASK=0077 >> /mnt/new/etc/initramfs-tools/initramfs.conf
    fi
    for d in dev proc sys run; do mount --bind "/$d" "/mnt/new/$d" || fail "cannot bind /$d"; done
    chroot /mnt/new update-initramfs -u -k "$rel" > /tmp/mkinitramfs.out 2>&1 ||
        { cat /tmp/mkinitramfs.out; fail "update-initramfs in the new root failed"; }
    cat /tmp/mkinitramfs.out
    chroot /mnt/new lsinitramfs "/boot/initrd.img-$rel" > /tmp/listing
    for f in cryptroot/crypttab usr/sbin/cryptsetup scripts/local-premount/kjump usr/lib/kjump/kjump-resume; do
        grep -q "$f\$" /tmp/listing || fail "the new initramfs lacks $f"
    done
    [ -n "${PASSPHRASE:-}" ] || grep -q "cryptroot/keyfiles/cryptroot.key\$" /tmp/listing ||
        fail "the new initramfs lacks the root's keyfile"
    [ "$LAYOUT" = luks ] || grep -q "scripts/local-top/lvm2\$" /tmp/listing || fail "the new initramfs lacks lvm2"
    cp "/mnt/new/boot/initrd.img-$rel" /boot/initrd-encrypted.img || fail "cannot keep the initramfs"
    for d in run sys proc dev; do umount "/mnt/new/$d"; done
    umount /mnt/new || fail "cannot unmount the new root"
    [ "$LAYOUT" = luks ] || vgchange -q -an kjvg >/dev/null || fail "vgchange -an failed"
    cryptsetup close cryptroot || fail "cryptsetup close failed"
    event encrypted-root-ready layout=$LAYOUT
    finish PASS
}

encrypted_root_hibernate() {
    local mk marker
    wait_for_kjumpd
    [ "$(findmnt -no SOURCE /)" = "$rootdev" ] || fail "the root is $(findmnt -no SOURCE /), not $rootdev"
    setup_target
    grep -q "lies $layout_line" /tmp/setup.out || fail "setup-target did not name the layout ($layout_line)"
    kjumpctl check > /tmp/check.out 2>&1
    cat /tmp/check.out
    grep -q "layout: /var/lib/kjump/image $layout_line" /tmp/check.out || fail "kjumpctl check did not name the layout"
    grep -q "protection: encrypted and authenticated; the key in a key block inside the dm-crypt volume cryptroot" \
        /tmp/check.out || fail "kjumpctl check did not say the image is encrypted"
    # What must never be readable on the disk: the volume's own key
    # (dm-crypt keeps it in A's memory), and a marker held in RAM.
    mk=$(cryptsetup luksDump -q --dump-volume-key --key-file "$key" /dev/vdb |
         sed -n '/^MK dump:/,/^[^ \t]/p' | sed 's/^MK dump://' | tr -cd '0-9a-f')
    [ ${#mk} -ge 64 ] || fail "cannot read the volume key"
    event volume-key "$mk"
    marker=KJUMP-PLAINTEXT-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    # A shell that keeps 4096 copies of it in its heap while it waits.
    # shellcheck disable=SC2016
    bash -c 'x=; for i in $(seq 4096); do x+="$1 "; done; while :; do sleep 3600; done' kjump-marker "$marker" &
    event plaintext-marker "$marker"
    before_hibernate
    systemctl hibernate || fail "systemctl hibernate failed"
    wait_for_post "systemctl hibernate"
    verify_after_resume
    kjumpctl inspect --json > /tmp/inspect.json
    grep -q '"protection":"luks"' /tmp/inspect.json || { cat /tmp/inspect.json; fail "the image was not protected"; }
    # Its key is gone: the image can never be read again.
    if kjumpctl inspect --verify > /tmp/verify.out 2>&1; then
        cat /tmp/verify.out
        fail "the restored image still opens: its key was not destroyed"
    fi
    grep -q "key is gone" /tmp/verify.out || { cat /tmp/verify.out; fail "inspect --verify did not say the key is gone"; }
    event verified
    finish PASS
}

encrypted_root_fsck() {
    cryptsetup open --key-file "$key" /dev/vdb cryptroot || fail "cannot open the volume"
    if [ "$LAYOUT" = lvm-luks ]; then vgchange -q -ay kjvg >/dev/null || fail "vgchange -ay failed"; fi
    e2fsck -fn "$rootdev" > /tmp/fsck.out 2>&1 || { cat /tmp/fsck.out; fail "the encrypted root is not clean"; }
    [ "$LAYOUT" = luks ] || vgchange -q -an kjvg >/dev/null
    cryptsetup close cryptroot
    event fsck-clean
    event verified
    finish PASS
}

case $phase in
setup) encrypted_root_setup ;;
fsck) encrypted_root_fsck ;;
hibernate) encrypted_root_hibernate ;;
*) fail "unknown kjump.phase=$phase" ;;
esac

# The root file system on the layouts distributions install, built inside
# this guest on its second disk (the host has no device-mapper), the image
# file on root:
#   LAYOUT=luks        ext4 on LUKS2 (Arch's encrypted layout)
#   LAYOUT=lvm-luks    ext4 on LVM on LUKS2 (the Debian installer's "guided -
#                      use entire disk and set up encrypted LVM")
#   LAYOUT=btrfs       btrfs, subvolume root (Fedora Workstation's default)
#   LAYOUT=btrfs-luks  btrfs on LUKS2, subvolume root (Fedora's encrypted one)
# Sourced by the scenario's script; kjump.phase= says which boot this is:
#   setup      on the plain root: luksFormat, copy the root into the new
#              file system, an initramfs that mounts it (unlocking it with a
#              keyfile it carries, or a passphrase typed at the console:
#              PASSPHRASE=), left on the plain root for the rig to boot with
#   hibernate  on the new root: setup-target, the plaintext marker and the
#              volume key said for the rig, systemctl hibernate; after the
#              restore, the workload, the image consumed, its key gone
#   fsck       on the plain root again, after a clean shutdown of the new
#              one: the volume opened with the keyfile, e2fsck -fn or
#              btrfs check --readonly
key=/etc/keys/root.key
phase=$(sed -n 's/.*kjump\.phase=\([^ ]*\).*/\1/p' /proc/cmdline)
crypt=yes lvm=no fs=ext4 subvol=
case $LAYOUT in
luks) rootdev=/dev/mapper/cryptroot stack="dm-crypt cryptroot (LUKS2) on /dev/vdb" ;;
lvm-luks) lvm=yes rootdev=/dev/mapper/kjvg-root
          stack="LVM/device-mapper kjvg-root (linear) on dm-crypt cryptroot (LUKS2) on /dev/vdb" ;;
btrfs) crypt=no fs=btrfs subvol=root rootdev=/dev/vdb stack=/dev/vdb ;;
btrfs-luks) fs=btrfs subvol=root rootdev=/dev/mapper/cryptroot stack="dm-crypt cryptroot (LUKS2) on /dev/vdb" ;;
*) fail "unknown LAYOUT=$LAYOUT" ;;
esac

layout_root_setup() {
    mkdir -p /etc/keys && chmod 700 /etc/keys
    head -c 64 /dev/urandom > "$key" && chmod 600 "$key"
    [ $crypt = yes ] && luks_setup && echo "layout-root: LUKS2 volume open"
    if [ $lvm = yes ]; then
        pvcreate -q /dev/mapper/cryptroot && vgcreate -q kjvg /dev/mapper/cryptroot &&
            lvcreate -q -y -n root -l 100%FREE kjvg >/dev/null || fail "LVM on LUKS failed"
    fi
    mkdir -p /mnt/new /mnt/src
    echo "layout-root: making the $fs file system"
    if [ $fs = btrfs ]; then
        mkfs.btrfs -q -f "$rootdev" || fail "mkfs.btrfs failed"
        mount "$rootdev" /mnt/new && btrfs -q subvolume create /mnt/new/root && umount /mnt/new ||
            fail "cannot create the root subvolume"
        mount -o subvol=root "$rootdev" /mnt/new || fail "cannot mount the new root"
        echo "$rootdev / btrfs subvol=root 0 0" > /tmp/fstab
    else
        mkfs.ext4 -q "$rootdev" || fail "mkfs.ext4 failed"
        mount "$rootdev" /mnt/new || fail "cannot mount the new root"
        echo "$rootdev / ext4 rw,errors=remount-ro 0 1" > /tmp/fstab
    fi
    # The root file system as it is on the disk (a bind mount: no /proc,
    # /run or /tmp contents). tar, not cp -a: the guest kernel's btrfs has
    # no POSIX ACLs, which systemd puts on the journal. Without what no
    # boot reads (apt's caches, translations, documentation: 125 of the
    # base's 300 MiB), which the emulated guest would only copy slowly.
    mount --bind / /mnt/src || fail "cannot bind-mount /"
    tar -C /mnt/src --numeric-owner --exclude='./var/cache/apt/*.bin' --exclude=./usr/share/locale \
        --exclude=./usr/share/doc --exclude=./usr/share/man -cf - . |
        tar -C /mnt/new --numeric-owner -xpf - || fail "cannot copy the root"
    echo "layout-root: root copied ($(df -Pm /mnt/new | awk 'NR == 2 {print $3}') MiB used)"
    umount /mnt/src
    cp /tmp/fstab /mnt/new/etc/fstab
    [ $crypt = yes ] && luks_crypttab
    layout_root_initramfs
}

luks_setup() {
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
}

luks_crypttab() {
    local uuid
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
}

layout_root_initramfs() {
    local rel
    rel=$(uname -r)
    for d in dev proc sys run; do mount --bind "/$d" "/mnt/new/$d" || fail "cannot bind /$d"; done
    chroot /mnt/new update-initramfs -u -k "$rel" > /tmp/mkinitramfs.out 2>&1 ||
        { cat /tmp/mkinitramfs.out; fail "update-initramfs in the new root failed"; }
    cat /tmp/mkinitramfs.out
    chroot /mnt/new lsinitramfs "/boot/initrd.img-$rel" > /tmp/listing
    needed="scripts/local-premount/kjump usr/lib/kjump/kjump-resume"
    [ $crypt = no ] || needed="$needed cryptroot/crypttab usr/sbin/cryptsetup"
    for f in $needed; do
        grep -q "$f\$" /tmp/listing || fail "the new initramfs lacks $f"
    done
    [ $crypt = no ] || [ -n "${PASSPHRASE:-}" ] || grep -q "cryptroot/keyfiles/cryptroot.key\$" /tmp/listing ||
        fail "the new initramfs lacks the root's keyfile"
    [ $lvm = no ] || grep -q "sbin/lvm\$" /tmp/listing || fail "the new initramfs lacks lvm2"
    [ $fs = ext4 ] || grep -q "bin/btrfs\$" /tmp/listing || fail "the new initramfs lacks btrfs"
    cp "/mnt/new/boot/initrd.img-$rel" /boot/initrd-layout.img || fail "cannot keep the initramfs"
    for d in run sys proc dev; do umount "/mnt/new/$d"; done
    umount /mnt/new || fail "cannot unmount the new root"
    [ $lvm = no ] || vgchange -q -an kjvg >/dev/null || fail "vgchange -an failed"
    [ $crypt = no ] || cryptsetup close cryptroot || fail "cryptsetup close failed"
    event layout-root-ready layout=$LAYOUT
    finish PASS
}

layout_root_hibernate() {
    local mk
    wait_for_kjumpd
    # (btrfs: findmnt adds the subvolume, "/dev/vdb[/root]")
    [ "$(findmnt -no SOURCE / | sed 's/\[.*//')" = "$rootdev" ] || fail "the root is $(findmnt -no SOURCE /), not $rootdev"
    layout_root_refusals
    setup_target
    [ "$stack" = /dev/vdb ] || grep -q "lies on $stack" /tmp/setup.out ||
        fail "setup-target did not name the layout ($stack)"
    kjumpctl check > /tmp/check.out 2>&1
    cat /tmp/check.out
    grep -q "layout: /var/lib/kjump/image on $fs on $stack" /tmp/check.out || fail "kjumpctl check did not name the layout"
    if [ $crypt = yes ]; then
        grep -q "protection: encrypted and authenticated; the key in a key block inside the dm-crypt volume cryptroot" \
            /tmp/check.out || fail "kjumpctl check did not say the image is encrypted"
        # What must never be readable on the disk: the volume's own key
        # (dm-crypt keeps it in A's memory), and a marker held in RAM.
        mk=$(cryptsetup luksDump -q --dump-volume-key --key-file "$key" /dev/vdb |
             sed -n '/^MK dump:/,/^[^ \t]/p' | sed 's/^MK dump://' | tr -cd '0-9a-f')
        [ ${#mk} -ge 64 ] || fail "cannot read the volume key"
        event volume-key "$mk"
    else
        grep -q "protection: none, plaintext" /tmp/check.out || fail "kjumpctl check did not say the image is plaintext"
    fi
    hold_plaintext_marker
    before_hibernate
    systemctl hibernate || fail "systemctl hibernate failed"
    wait_for_post "systemctl hibernate"
    verify_after_resume
    if [ $crypt = yes ]; then
        verify_key_destroyed luks
    else
        kjumpctl inspect --json | grep -q '"protection":"none"' || fail "the image is not plaintext"
    fi
    [ $fs = ext4 ] || layout_root_snapshot_refused
    event verified
    finish PASS
}

layout_root_fsck() {
    [ $crypt = no ] || cryptsetup open --key-file "$key" /dev/vdb cryptroot || fail "cannot open the volume"
    [ $lvm = no ] || vgchange -q -ay kjvg >/dev/null || fail "vgchange -ay failed"
    if [ $fs = btrfs ]; then
        btrfs check --readonly "$rootdev" > /tmp/fsck.out 2>&1 || { cat /tmp/fsck.out; fail "the root is not clean"; }
    else
        e2fsck -fn "$rootdev" > /tmp/fsck.out 2>&1 || { cat /tmp/fsck.out; fail "the root is not clean"; }
    fi
    [ $lvm = no ] || vgchange -q -an kjvg >/dev/null
    [ $crypt = no ] || cryptsetup close cryptroot
    event fsck-clean
    event verified
    finish PASS
}

# Before the target exists: what must be refused on this layout, each with
# its reason, and nothing written.
layout_root_refusals() {
    [ $fs = btrfs ] || return 0
    mkdir -p /var/lib/kjump
    # A copy-on-write file: every write would move its blocks.
    head -c 16M /dev/zero > /var/lib/kjump/cow && chmod 600 /var/lib/kjump/cow
    kjumpctl check --target /var/lib/kjump/cow > /tmp/cow.out 2>&1 && fail "kjumpctl check accepted a CoW btrfs file"
    cat /tmp/cow.out
    grep -q "on btrfs is copy-on-write" /tmp/cow.out || fail "kjumpctl check did not say why a CoW file is refused"
    # A compressed file (chattr +c).
    touch /var/lib/kjump/compressed && chmod 600 /var/lib/kjump/compressed && chattr +c /var/lib/kjump/compressed ||
        fail "chattr +c failed"
    head -c 16M /dev/zero > /var/lib/kjump/compressed
    kjumpctl check --target /var/lib/kjump/compressed > /tmp/compr.out 2>&1 &&
        fail "kjumpctl check accepted a compressed btrfs file"
    cat /tmp/compr.out
    grep -q "is compressed by btrfs" /tmp/compr.out || fail "kjumpctl check did not say why a compressed file is refused"
    rm -f /var/lib/kjump/cow /var/lib/kjump/compressed
    event refused-ok
}

# After the restore: a snapshot of the root shares the image's extents,
# which the next hibernation must refuse (writing them would change the
# snapshot).
layout_root_snapshot_refused() {
    btrfs -q subvolume snapshot / /snap || fail "btrfs subvolume snapshot failed"
    kjumpctl check > /tmp/snap.out 2>&1 && { cat /tmp/snap.out; fail "kjumpctl check accepted a target shared with a snapshot"; }
    cat /tmp/snap.out
    grep -q "shares extents with another file (reflink or snapshot)" /tmp/snap.out ||
        fail "kjumpctl check did not say why a snapshot's target is refused"
    btrfs -q subvolume delete -c /snap || fail "btrfs subvolume delete failed"
}

case $phase in
setup) layout_root_setup ;;
fsck) layout_root_fsck ;;
hibernate) layout_root_hibernate ;;
*) fail "unknown kjump.phase=$phase" ;;
esac

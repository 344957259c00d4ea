# Root on LUKS2, the image file on root; the initramfs unlocks the root
# with a keyfile it carries (layout-root.sh).
LAYOUT=luks
. /kjump-test/debian/layout-root.sh

# LVM on LUKS2 (the Debian installer's guided encrypted layout), the image
# file on the root logical volume; the passphrase is typed at the console
# by the rig, as a user would (layout-root.sh).
LAYOUT=lvm-luks
PASSPHRASE="kjump test passphrase"
. /kjump-test/debian/layout-root.sh

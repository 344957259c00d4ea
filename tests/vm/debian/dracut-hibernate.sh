# The guest's initramfs was made by dracut with kjump's module (90kjump):
# systemctl hibernate, and the dracut pre-mount hook restores.
wait_for_kjumpd
[ -r /usr/lib/dracut/modules.d/90kjump/module-setup.sh ] || fail "kjump's dracut module is not installed"
dpkg -s initramfs-tools >/dev/null 2>&1 && fail "initramfs-tools is installed: this guest must use dracut only"
hibernate_with_systemctl

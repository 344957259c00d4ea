# UPower's critical-battery action with kjump installed. The guest kernel's
# test_power battery runs down to 1 % on battery power; UPower's default
# CriticalPowerAction is HybridSleep, which logind does not offer on this
# machine without S3, so UPower must fall back to Hibernate, which kjump
# does: the machine hibernates and is restored. A sleep hook plugs the
# charger in before the jump, so the restored system is not critical.
wait_for_kjumpd
p=/sys/module/test_power/parameters
[ -d $p ] || fail "the guest kernel has no test_power battery"
echo off > $p/ac_online
echo off > $p/usb_online
echo discharging > $p/battery_status
echo 60 > $p/battery_capacity
cat > /usr/lib/systemd/system-sleep/50-charger <<EOF
#!/bin/sh
[ "\$1" = pre ] || exit 0
echo on > $p/ac_online
echo charging > $p/battery_status
echo 80 > $p/battery_capacity
EOF
chmod +x /usr/lib/systemd/system-sleep/50-charger
setup_target
[ "$(logind_can HybridSleep)" = 's "na"' ] || fail "logind offers hybrid sleep without S3: $(logind_can HybridSleep)"
# The test guest's kernel has no user namespaces, which upower.service's
# PrivateUsers=yes needs; its sandbox is not what this scenario tests.
mkdir -p /run/systemd/system/upower.service.d
printf '[Service]\nPrivateUsers=no\n' > /run/systemd/system/upower.service.d/50-kjump-test.conf
systemctl daemon-reload
systemctl start upower.service ||
    { systemctl status upower.service --no-pager; journalctl -b -u upower --no-pager | tail -n 20; fail "upower did not start"; }
for i in $(seq 300); do
    upower -i /org/freedesktop/UPower/devices/battery_test_battery 2>/dev/null | grep -q "percentage: *60%" && break
    sleep 0.1
done
upower -d | sed -n '1,40p'
upower -i /org/freedesktop/UPower/devices/battery_test_battery | grep -q "percentage: *60%" ||
    fail "UPower does not see the test battery at 60 %"
before_hibernate
echo 1 > $p/battery_capacity
event battery-critical
wait_for_post "UPower's critical action"
verify_after_resume hibernate
journalctl -b --no-pager -u upower | tail -n 5
event verified
finish PASS

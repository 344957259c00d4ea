# Esc while the helper writes the image (the rig presses it on the PS/2
# keyboard through QMP): the helper stops, marks the image invalid and
# jumps back; kjumpd's caller is told the user cancelled; the session goes on.
wait_for_kjumpd
setup_target
before_hibernate
out=$(busctl --timeout=900 call org.kjump1 /org/kjump1 org.kjump1.Manager Hibernate b false 2>&1) &&
    { echo "$out"; fail "Hibernate returned success although it was cancelled"; }
echo "$out"
echo "$out" | grep -q "Cancelled by the user (Esc)" || fail "the caller was not told the user cancelled: $out"
verify_session hibernate
kjumpctl inspect --json > /tmp/inspect.json
grep -q '"state":"invalid","reason":"cancelled by the user"' /tmp/inspect.json ||
    { cat /tmp/inspect.json; fail "after the cancel the image is not invalid (cancelled)"; }
event verified
finish PASS

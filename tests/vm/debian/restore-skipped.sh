# First boot of restore-skipped: set up, hibernate with systemctl. The rig
# then boots with a wrong resume location (this script runs again with
# kjump.expect=skipped and writes to the disk), then with the right one.
wait_for_kjumpd
case "$(sed -n 's/.*kjump\.expect=\([^ ]*\).*/\1/p' /proc/cmdline)" in
skipped)
    # The boot that skipped the restore: kjump-clear.service must have
    # invalidated the image before anything else ran.
    systemctl is-active -q kjump-clear.service || fail "kjump-clear.service did not run"
    kjumpctl inspect --json > /tmp/inspect; cat /tmp/inspect
    grep -q '"state":"invalid"' /tmp/inspect || fail "the image this boot did not restore is not invalid"
    grep -q '"message":"booted without restoring"' /tmp/inspect || fail "the image was not invalidated at boot"
    echo "this boot went on without the image" > /root/moved-on
    sync
    event verified
    finish PASS
    ;;
esac
setup_target
before_hibernate
systemctl hibernate || fail "systemctl hibernate failed"
wait_for_post "systemctl hibernate"
fail "the image was restored after a boot that skipped it"

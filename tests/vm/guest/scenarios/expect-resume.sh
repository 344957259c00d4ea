# Second boot of hibernate-restore: kjump-resume should have handed over to
# the helper. Reaching this script means it did not.
fail "booted fresh instead of restoring the image"

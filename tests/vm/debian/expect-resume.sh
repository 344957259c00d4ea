fail "booted fresh instead of restoring the image"

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The introspection generator on a small vtable, against XML written out
 * by hand: named arguments in both directions, containers, signals and
 * properties. */
#include <stdlib.h>
#include <systemd/sd-bus.h>

#include "bus-introspect.h"
#include "macro.h"
#include "tests.h"

static int nop(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return 0;
}

static int nop_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                   sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return 0;
}

static const sd_bus_vtable vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("State", "s", nop_get, 0, 0),
        SD_BUS_METHOD_WITH_NAMES("Do", "ba{sv}", SD_BUS_PARAM(flag) SD_BUS_PARAM(options), "(tt)",
                                 SD_BUS_PARAM(range), nop, 0),
        SD_BUS_SIGNAL_WITH_NAMES("Done", "bs", SD_BUS_PARAM(success) SD_BUS_PARAM(message), 0),
        SD_BUS_VTABLE_END,
};

TEST(generate) {
        _cleanup_free_ char *xml = NULL;

        ASSERT_OK(bus_introspect_vtable("org.example.Test", vtable, &xml));
        ASSERT_STREQ(xml,
                     "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"
                     "\"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n"
                     "<node>\n <interface name=\"org.example.Test\">\n"
                     "  <property name=\"State\" type=\"s\" access=\"read\"/>\n"
                     "  <method name=\"Do\">\n"
                     "   <arg type=\"b\" name=\"flag\" direction=\"in\"/>\n"
                     "   <arg type=\"a{sv}\" name=\"options\" direction=\"in\"/>\n"
                     "   <arg type=\"(tt)\" name=\"range\" direction=\"out\"/>\n"
                     "  </method>\n"
                     "  <signal name=\"Done\">\n"
                     "   <arg type=\"b\" name=\"success\"/>\n"
                     "   <arg type=\"s\" name=\"message\"/>\n"
                     "  </signal>\n"
                     " </interface>\n</node>\n");
}

int main(void) {
        test_generate();
        return 0;
}

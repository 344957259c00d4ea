/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-introspect.h"

/* Splits the next complete type off *SIG. */
static size_t complete_type_length(const char *sig) {
        size_t i = 0;

        while (sig[i] == 'a')
                i++;
        if (sig[i] == '(' || sig[i] == '{') {
                int depth = 0;
                for (;; i++) {
                        if (sig[i] == '(' || sig[i] == '{')
                                depth++;
                        else if (sig[i] == ')' || sig[i] == '}')
                                depth--;
                        if (depth == 0)
                                return i + 1;
                }
        }
        return i + 1;
}

/* NAMES is a sequence of NUL-terminated names, one per argument. */
static void print_args(FILE *f, const char *sig, const char **names, const char *direction) {
        while (sig && *sig) {
                size_t l = complete_type_length(sig);
                const char *name = *names && **names ? *names : NULL;

                fprintf(f, "   <arg type=\"%.*s\"", (int) l, sig);
                if (name)
                        fprintf(f, " name=\"%s\"", name);
                if (direction)
                        fprintf(f, " direction=\"%s\"", direction);
                fprintf(f, "/>\n");
                if (*names)
                        *names += strlen(*names) + 1;
                sig += l;
        }
}

int bus_introspect_vtable(const char *interface, const sd_bus_vtable *v, char **ret) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        fprintf(f, "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"
                   "\"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n"
                   "<node>\n <interface name=\"%s\">\n", interface);
        for (; v->type != _SD_BUS_VTABLE_END; v++) {
                const char *names;

                switch (v->type) {
                case _SD_BUS_VTABLE_METHOD:
                        names = v->x.method.names;
                        fprintf(f, "  <method name=\"%s\">\n", v->x.method.member);
                        print_args(f, v->x.method.signature, &names, "in");
                        print_args(f, v->x.method.result, &names, "out");
                        fprintf(f, "  </method>\n");
                        break;
                case _SD_BUS_VTABLE_SIGNAL:
                        names = v->x.signal.names;
                        fprintf(f, "  <signal name=\"%s\">\n", v->x.signal.member);
                        print_args(f, v->x.signal.signature, &names, NULL);
                        fprintf(f, "  </signal>\n");
                        break;
                case _SD_BUS_VTABLE_PROPERTY:
                case _SD_BUS_VTABLE_WRITABLE_PROPERTY:
                        fprintf(f, "  <property name=\"%s\" type=\"%s\" access=\"%s\"/>\n", v->x.property.member,
                                v->x.property.signature,
                                v->type == _SD_BUS_VTABLE_PROPERTY ? "read" : "readwrite");
                        break;
                default:
                        break;
                }
        }
        fprintf(f, " </interface>\n</node>\n");
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}

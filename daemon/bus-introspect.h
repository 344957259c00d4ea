/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus-vtable.h>

/* The introspection XML of one interface, from its vtable: methods with
 * their named arguments, signals, properties. kjumpd --bus-introspect
 * prints it; docs/org.kjump1.Manager.xml is its committed output. */
int bus_introspect_vtable(const char *interface, const sd_bus_vtable *vtable, char **ret);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* kjumpd's D-Bus API (docs/org.kjump1.Manager.xml): names shared by the
 * daemon and its clients. */
#define KJUMP_BUS_NAME "org.kjump1"
#define KJUMP_BUS_PATH "/org/kjump1"
#define KJUMP_BUS_INTERFACE "org.kjump1.Manager"

#define KJUMP_POLKIT_HIBERNATE "org.kjump1.hibernate"
#define KJUMP_POLKIT_MANAGE "org.kjump1.manage"

#define KJUMP_ERROR_BUSY "org.kjump1.Error.Busy"
#define KJUMP_ERROR_UNAVAILABLE "org.kjump1.Error.Unavailable"
#define KJUMP_ERROR_FAILED "org.kjump1.Error.Failed"
#define KJUMP_ERROR_INHIBITED "org.kjump1.Error.Inhibited"
#define KJUMP_ERROR_CANCELLED "org.kjump1.Error.Cancelled"

/* The unit whose ExecStart is kjump's (units/systemd-hibernate-kjump.conf):
 * logind has decided by the time it calls, inhibitors and sessions
 * included. */
#define KJUMP_SYSTEMD_HIBERNATE_UNIT "systemd-hibernate.service"
#define KJUMP_SYSTEMD_HYBRID_SLEEP_UNIT "systemd-hybrid-sleep.service"
#define KJUMP_SYSTEMD_SUSPEND_THEN_HIBERNATE_UNIT "systemd-suspend-then-hibernate.service"

/* kjumpd's sleep.conf drop-in: what kjump can do now, for logind. Its name
 * is that of the static one it hides (units/sleep-kjump.conf). */
#define KJUMP_RUNTIME_SLEEP_CONF "/run/systemd/sleep.conf.d/kjump.conf"

#define LOGIN1_BUS_NAME "org.freedesktop.login1"
#define LOGIN1_BUS_PATH "/org/freedesktop/login1"
#define LOGIN1_BUS_INTERFACE "org.freedesktop.login1.Manager"

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* CPUs online now, at least 1. */
unsigned cpus_online(void);

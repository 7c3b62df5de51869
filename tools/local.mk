# SPDX-License-Identifier: GPL-2.0-or-later
# acme-rats-ctl: the operator CLI.

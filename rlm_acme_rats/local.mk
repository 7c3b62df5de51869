# SPDX-License-Identifier: GPL-2.0-or-later
# rlm_acme_rats: the FreeRADIUS 3.2 module, its raddb files and its tests.

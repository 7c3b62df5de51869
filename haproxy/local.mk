# SPDX-License-Identifier: GPL-2.0-or-later
# haproxy in front of several acme-rats-ca replicas: the reference
# configuration, installed beside the raddb and Redis files
# ($(pkgdatadir)/haproxy/acme-rats-ca.cfg; docs/operations.md, "Several CA
# replicas"). tests/site/ runs it.
haproxydatadir = $(pkgdatadir)/haproxy
dist_haproxydata_DATA = haproxy/acme-rats-ca.cfg

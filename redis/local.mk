# SPDX-License-Identifier: GPL-2.0-or-later
# Redis: the ACL file with one least-privilege user per component, installed
# beside the raddb files ($(pkgdatadir)/redis/users.acl; docs/operations.md,
# "Redis users"), and the test that runs every component with only its own
# user (it needs the module, as it admits devices through freeradius).
redisdatadir = $(pkgdatadir)/redis
dist_redisdata_DATA = redis/users.acl

if BUILD_MODULE
TESTS += tests/integration/test_redis_acl.sh
endif
EXTRA_DIST += tests/integration/test_redis_acl.sh

# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz targets of the helper parsers.

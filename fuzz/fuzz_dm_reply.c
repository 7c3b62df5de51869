/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the check of a Disconnect-ACK/NAK (any datagram that reaches
 * the NOC worker's socket). The first byte is the identifier the reply must
 * carry; the rest is the datagram. Whatever is accepted must really be an
 * ACK or NAK of that identifier with a consistent length.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "radius.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t auth[AR_RADIUS_AUTH_LEN] = {
		0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
		0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	};
	ar_dm_reply_t r;

	if (size < 1)
		return 0;
	if (ar_dm_parse_reply(data + 1, size - 1, data[0], auth, "fuzz-secret", &r, NULL) == 0) {
		if (size - 1 < 20 || data[2] != data[0] || (data[1] != 41 && data[1] != 42) ||
		    r.ack != (data[1] == 41) || (size_t)(data[3] << 8 | data[4]) > size - 1)
			abort();
	}
	return 0;
}

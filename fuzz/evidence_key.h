/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The identity key SUB-0042 is enrolled with in the signed-evidence fuzz
 * target, and that signs its seeds: the P-256 key of RFC 7515 appendix A.3.
 */
#ifndef AR_FUZZ_EVIDENCE_KEY_H
#define AR_FUZZ_EVIDENCE_KEY_H

#define FUZZ_EVIDENCE_DEVICE	"SUB-0042"
#define FUZZ_EVIDENCE_JWK \
	"{\"kty\":\"EC\",\"crv\":\"P-256\"," \
	"\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\"," \
	"\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"," \
	"\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"}"

#endif

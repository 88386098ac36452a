/**
 * tertulia's client against a second, unrelated IRC server: InspIRCd 3, with
 * the IRCv3 capabilities a modern network offers and `rfc1459` casemapping.
 * The same scenarios run against tertulia (client_e2e_test.ts) and ngIRCd
 * (client_ngircd_test.ts).
 */

import { testClientScenariosOn } from "./helpers/client_scenarios.ts";
import { startInspircd } from "./helpers/peer_servers.ts";

testClientScenariosOn("InspIRCd", "inspircd", () => startInspircd());

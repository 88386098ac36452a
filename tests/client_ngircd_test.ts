/**
 * The same client scenarios against a real IRC server, ngIRCd: the client
 * speaks plain IRC, not just tertulia's dialect.
 */

import { testClientScenariosOn } from "./helpers/client_scenarios.ts";
import { startNgircd } from "./helpers/peer_servers.ts";

testClientScenariosOn("ngircd", "ngircd", () => startNgircd());

/** Identity of this SDK on the wire (`sdk.name`, `sdk.version`) and the batch schema it writes. */
export const SDK_NAME = '@mtrace/player-sdk';
export const SDK_VERSION = '0.1.0';
export const SCHEMA_VERSION = '1.0';

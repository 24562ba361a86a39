/** An order id as MongoDB keeps it: an ObjectId, written as 24 hex digits. */
export const OBJECT_ID_HEX = /^[0-9a-f]{24}$/i;

-- Master key rotation (issue 14, item 7; numbered after the crawler's tables, whose sealed headers it
-- covers too). Each value sealed under the master key records the check value of the key that sealed
-- it (crypto.ts masterKeyCheck: an HMAC, not the key). NULL means "the database's key when the value was
-- written", which is the key a rotation starts from. A rotation that was interrupted is resumed by
-- re-wrapping only the rows whose check value is not yet the new key's.
ALTER TABLE cases ADD COLUMN key_check text;
ALTER TABLE crawl_sites ADD COLUMN headers_key_check text;

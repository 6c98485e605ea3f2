-- The match index (hashing/index) keys entries by a 32-bit integer; material ids are UUIDs. Each
-- material gets a small integer for the index (never reused: identity values only grow).
ALTER TABLE material ADD COLUMN index_id integer GENERATED ALWAYS AS IDENTITY;
ALTER TABLE material ADD CONSTRAINT material_index_id UNIQUE (index_id);

-- PDQ quality of each reference hash: hashes below the matcher's minimum stay out of the index.
ALTER TABLE material_hashes ADD COLUMN quality smallint;

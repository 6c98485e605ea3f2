-- Local features of registered images (hashing/features/codec.ts: 38 bytes a keypoint, ~15 KB for the
-- 400 keypoints of one picture). Kept beside the fingerprint rather than inside its jsonb: the match
-- index loads them as bytes, and listing material never has to carry them. Erasing a case deletes its
-- material and, with it, these rows.
CREATE TABLE material_features (
  material_id uuid PRIMARY KEY REFERENCES material (id) ON DELETE CASCADE,
  features bytea NOT NULL,
  keypoints integer NOT NULL
);

-- How a match was found, for the reviewer: inliers, the region of the crawled picture where the
-- registered one was found (fractions 0..1 of its width and height), the confidence. Null for alerts
-- raised before this column, and for matches that explain themselves by method and distance alone.
ALTER TABLE crawl_alerts ADD COLUMN match_detail jsonb;

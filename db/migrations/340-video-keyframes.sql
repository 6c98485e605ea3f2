-- Local features of registered videos' keyframes (hashing/video/keyframes.ts; each keyframe's features
-- in hashing/features/codec.ts's format, ~15 KB for 400 keypoints; at most 200 keyframes a video). One
-- row a keyframe, beside the fingerprint as material_features is for images: the match index loads them
-- as bytes, and listing material never carries them. Erasing a case deletes its material and, with it,
-- these rows; a withdrawn case's material leaves the index by its case's status, as its hashes do.
CREATE TABLE material_keyframes (
  material_id uuid NOT NULL REFERENCES material (id) ON DELETE CASCADE,
  t real NOT NULL,
  features bytea NOT NULL,
  keypoints integer NOT NULL,
  PRIMARY KEY (material_id, t)
);

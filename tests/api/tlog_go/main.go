// An independent tiles client: Go's golang.org/x/mod/sumdb/note and sumdb/tlog (the reference
// implementations behind the Go checksum database) read a directory laid out as C2SP tlog-tiles
// (checkpoint, tile/<L>/<N>[.p/<W>], tile/entries/<N>[.p/<W>]), as the test fetched it from the
// ledger. It verifies the checkpoint's signature, recomputes the root from the tiles (each tile
// authenticated by TileHashReader), proves one leaf and checks that leaf's entry against it.
//
// Usage: verify_tiles DIR VERIFIER_KEY LEAF_INDEX [WITNESS_KEY...]; prints
// {"size":..,"root":..,"proof":[..],"witnesses":[..]}. Each WITNESS_KEY is a C2SP
// tlog-cosignature Ed25519 key (signature type 0x04); the checkpoint must carry a valid
// cosignature by each, checked by note.Open through cosigVerifier, written here from the spec.
// Built in GOPATH mode against Debian's golang-golang-x-mod-dev (no module proxy needed).
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8

type dirReader struct{ dir string }

// c2spPath maps x/mod's tile path (tile/8/<L>/<N>, with the height) to tlog-tiles' (tile/<L>/<N>).
func c2spPath(t tlog.Tile) string {
	return strings.Replace(t.Path(), fmt.Sprintf("tile/%d/", height), "tile/", 1)
}

func (r dirReader) Height() int { return height }

func (r dirReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := os.ReadFile(filepath.Join(r.dir, filepath.FromSlash(c2spPath(t))))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (r dirReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// cosigVerifier checks c2sp.org/tlog-cosignature v1 (Ed25519) signatures: the signature is a
// big-endian u64 timestamp then 64 bytes over "cosignature/v1\ntime <T>\n" + the note's text.
type cosigVerifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

func (v cosigVerifier) Name() string    { return v.name }
func (v cosigVerifier) KeyHash() uint32 { return v.hash }
func (v cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	signed := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), msg...)
	return ed25519.Verify(v.key, signed, sig[8:])
}

func newCosigVerifier(vkey string) cosigVerifier {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		fail("bad witness key %q", vkey)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 0x04 {
		fail("witness key %q is not an Ed25519 cosignature key (type 0x04)", vkey)
	}
	id := sha256.Sum256(append([]byte(parts[0]+"\n"), raw...))
	hash := binary.BigEndian.Uint32(id[:4])
	if fmt.Sprintf("%08x", hash) != parts[1] {
		fail("witness key %q: key id does not match the key", vkey)
	}
	return cosigVerifier{parts[0], hash, ed25519.PublicKey(raw[1:])}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 4 {
		fail("usage: verify_tiles DIR VERIFIER_KEY LEAF_INDEX [WITNESS_KEY...]")
	}
	dir, vkey := os.Args[1], os.Args[2]
	index, err := strconv.ParseInt(os.Args[3], 10, 64)
	if err != nil {
		fail("bad leaf index: %v", err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		fail("bad verifier key: %v", err)
	}
	msg, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		fail("%v", err)
	}
	known := []note.Verifier{verifier}
	for _, w := range os.Args[4:] {
		known = append(known, newCosigVerifier(w))
	}
	n, err := note.Open(msg, note.VerifierList(known...))
	if err != nil {
		fail("checkpoint does not verify: %v", err)
	}
	witnessed := []string{}
	for _, w := range known[1:] {
		found := false
		for _, sig := range n.Sigs {
			if sig.Name == w.Name() && sig.Hash == w.KeyHash() {
				found = true
			}
		}
		if !found {
			fail("checkpoint carries no valid cosignature by witness %s", w.Name())
		}
		witnessed = append(witnessed, w.Name())
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != verifier.Name() {
		fail("checkpoint body is not origin, size, root: %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("bad tree size: %v", err)
	}
	rootBytes, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootBytes) != tlog.HashSize {
		fail("bad root hash %q", lines[2])
	}
	var root tlog.Hash
	copy(root[:], rootBytes)

	hashes := tlog.TileHashReader(tlog.Tree{N: size, Hash: root}, dirReader{dir})
	computed, err := tlog.TreeHash(size, hashes)
	if err != nil {
		fail("tree hash from tiles: %v", err)
	}
	if computed != root {
		fail("tiles give root %x, checkpoint says %x", computed[:], root[:])
	}
	proof, err := tlog.ProveRecord(size, index, hashes)
	if err != nil {
		fail("inclusion proof from tiles: %v", err)
	}
	entry := readEntry(dir, index, size)
	if err := tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(entry)); err != nil {
		fail("entry %d is not in the tree: %v", index, err)
	}
	out := struct {
		Size      int64    `json:"size"`
		Root      string   `json:"root"`
		Proof     []string `json:"proof"`
		Witnesses []string `json:"witnesses"`
	}{size, hex.EncodeToString(root[:]), []string{}, witnessed}
	for _, h := range proof {
		out.Proof = append(out.Proof, hex.EncodeToString(h[:]))
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("%v", err)
	}
}

// readEntry reads leaf `index` from its entry bundle (uint16-length-prefixed entries).
func readEntry(dir string, index, size int64) []byte {
	t := tlog.Tile{H: height, L: -1, N: index >> height}
	if w := size - t.N<<height; w < 1<<height {
		t.W = int(w)
	} else {
		t.W = 1 << height
	}
	path := strings.Replace(c2spPath(t), "tile/data/", "tile/entries/", 1)
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
	if err != nil {
		fail("%v", err)
	}
	for i := int64(0); ; i++ {
		if len(data) < 2 {
			fail("entry %d is not in %s", index, path)
		}
		length := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+length {
			fail("truncated entry bundle %s", path)
		}
		if t.N<<height+i == index {
			return data[2 : 2+length]
		}
		data = data[2+length:]
	}
}

// An independent tiles client: Go's golang.org/x/mod/sumdb/note and sumdb/tlog (the reference
// implementations behind the Go checksum database) read a directory laid out as C2SP tlog-tiles
// (checkpoint, tile/<L>/<N>[.p/<W>], tile/entries/<N>[.p/<W>]), as the test fetched it from the
// ledger. It verifies the checkpoint's signature, recomputes the root from the tiles (each tile
// authenticated by TileHashReader), proves one leaf and checks that leaf's entry against it.
//
// Usage: verify_tiles DIR VERIFIER_KEY LEAF_INDEX; prints {"size":..,"root":..,"proof":[..]}.
// Built in GOPATH mode against Debian's golang-golang-x-mod-dev (no module proxy needed).
package main

import (
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

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: verify_tiles DIR VERIFIER_KEY LEAF_INDEX")
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
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint does not verify: %v", err)
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
		Size  int64    `json:"size"`
		Root  string   `json:"root"`
		Proof []string `json:"proof"`
	}{size, hex.EncodeToString(root[:]), []string{}}
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

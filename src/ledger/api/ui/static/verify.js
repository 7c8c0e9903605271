/* Checks a case bundle in the browser, trusting only the log key the auditor pinned: the same
   checks, in the same order, as `ledger verify BUNDLE --public-key KEY` (ledger/log/verify.py
   check_bundle): the checkpoint's C2SP signed note (Ed25519, WebCrypto) by a pinned key, each
   event's leaf recomputed from its stored bytes (ledger/log/leaf.py), its RFC 9162 inclusion in
   the signed tree, versions 1..n, and the head-map bucket proving they are all of the case's
   (ledger/log/heads.py). The pinned key lives in localStorage; one prefilled from this server is
   marked as such, since a server that altered a bundle could also serve a key that matches. */
"use strict";

(() => {
  const STORE = "ledger.pinnedKeys";
  const BUNDLE_FORMAT = "case-ledger-bundle/v1";
  const LEAF_FORMAT = "case-ledger/leaf/v1\n";
  const HEADS_FORMAT = "case-ledger/heads/v1\n";
  const HEADS_EXTENSION = "case-ledger/heads/v1";
  const HEADS_BUCKETS = 65536n;
  const SIG_PREFIX = "\u2014 "; // em dash, space
  const MAX_SIGNATURES = 100;
  const utf8 = new TextEncoder();
  const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

  class Invalid extends Error {}

  // --- bytes ------------------------------------------------------------------------------

  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const compare = (a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
    return a.length - b.length;
  };
  const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const fromHex = (text) => {
    if (typeof text !== "string" || !/^(?:[0-9a-fA-F]{2})*$/.test(text)) throw new Invalid("不是十六进制");
    return Uint8Array.from(text.match(/../g) || [], (h) => parseInt(h, 16));
  };
  const uint = (value, bytes) => {
    const out = new Uint8Array(bytes);
    let n = BigInt(value);
    for (let i = bytes - 1; i >= 0; i--) { out[i] = Number(n & 0xffn); n >>= 8n; }
    return out;
  };
  const readUint = (bytes, at, size) => {
    let n = 0n;
    for (let i = at; i < at + size; i++) n = (n << 8n) | BigInt(bytes[i]);
    return n;
  };

  /* base64 as Python's b64decode(validate=True): the alphabet, padding only at the end, whole
     quads. */
  const base64 = (text) => {
    if (typeof text !== "string" || text.length % 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
    const raw = atob(text);
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  };
  const b64encode = (bytes) => btoa(String.fromCharCode(...bytes));
  /* The signed-note spelling: base64 that re-encodes to itself (one spelling per signature). */
  const canonicalBase64 = (text) => {
    const raw = base64(text);
    return raw && b64encode(raw) === text ? raw : null;
  };

  const sha256 = async (...parts) =>
    new Uint8Array(await crypto.subtle.digest("SHA-256", concat(...parts)));
  const leafHash = (data) => sha256(new Uint8Array([0]), data);
  const nodeHash = (left, right) => sha256(new Uint8Array([1]), left, right);

  // --- RFC 9162 §2.1.3.2 inclusion, literally (ledger/log/merkle/proofs.py) --------------------

  async function verifyInclusion(leaf, index, size, path, root) {
    if (leaf.length !== 32 || root.length !== 32 || path.some((p) => p.length !== 32)) return false;
    if (index < 0n || size < 0n || index >= size) return false;
    let fn = index, sn = size - 1n, r = leaf;
    for (const p of path) {
      if (sn === 0n) return false;
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(p, r);
        while (fn !== 0n && (fn & 1n) === 0n) { fn >>= 1n; sn >>= 1n; }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    return sn === 0n && equal(r, root);
  }

  // --- C2SP signed notes and checkpoints (ledger/log/signed_note.py) --------------------------

  const validName = (name) => Boolean(name) && !name.includes("+") && !/\s/u.test(name);
  const controlChars = (text) => /[\u0000-\u0009\u000b-\u001f]/.test(text);
  const keyName = (v) => `${v.name}+${v.keyId.toString(16).padStart(8, "0")}`;

  async function keyIdOf(name, publicKey) {
    const digest = await sha256(utf8.encode(name), new Uint8Array([0x0a, 0x01]), publicKey);
    return Number(readUint(digest, 0, 4));
  }

  /* A verifier key `name+<8 hex id>+base64(0x01 || 32-byte Ed25519 key)`. */
  async function parseVerifierKey(text) {
    const first = text.indexOf("+"), second = text.indexOf("+", first + 1);
    if (first < 0 || second < 0) throw new Invalid("公钥格式错误（应为 名称+密钥ID+密钥）");
    const name = text.slice(0, first), hexId = text.slice(first + 1, second);
    const raw = canonicalBase64(text.slice(second + 1));
    if (!validName(name) || !/^[0-9a-fA-F]{8}$/.test(hexId) || !raw) throw new Invalid("公钥格式错误");
    if (raw[0] !== 0x01) throw new Invalid(`未知的公钥算法 0x${raw[0].toString(16)}`);
    if (raw.length !== 33) throw new Invalid("公钥格式错误：Ed25519 公钥应为 32 字节");
    const publicKey = raw.slice(1);
    const keyId = parseInt(hexId, 16);
    if (keyId !== await keyIdOf(name, publicKey)) throw new Invalid("公钥 ID 与密钥不符");
    const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    return { name, keyId, key };
  }

  function splitNote(note) {
    if (controlChars(note)) throw new Invalid("签名笔记格式错误：含控制字符");
    const split = note.lastIndexOf("\n\n");
    if (split < 0) throw new Invalid("签名笔记格式错误：签名前没有空行");
    const text = note.slice(0, split + 1), block = note.slice(split + 2);
    if (!block.endsWith("\n")) throw new Invalid("签名笔记格式错误：签名块应以换行结束");
    const lines = block.slice(0, -1).split("\n");
    if (lines.length > MAX_SIGNATURES) throw new Invalid(`签名笔记格式错误：签名超过 ${MAX_SIGNATURES} 个`);
    for (const line of lines) {
      if (!line.startsWith(SIG_PREFIX)) throw new Invalid(`签名笔记格式错误：不是签名行：${line.slice(0, 80)}`);
    }
    return { text, lines };
  }

  const partition = (text, sep) => {
    const at = text.indexOf(sep);
    return at < 0 ? [text, ""] : [text.slice(0, at), text.slice(at + sep.length)];
  };

  /* The note's text if it carries a valid signature by `verifier`; every line claiming the key
     must verify, lines by other keys are ignored (golang.org/x/mod/sumdb/note's Open). */
  async function verifyNote(note, verifier) {
    const { text, lines } = splitNote(note);
    const message = utf8.encode(text);
    let verified = false;
    const others = [];
    for (const line of lines) {
      const [name, b64] = partition(line.slice(SIG_PREFIX.length), " ");
      const raw = canonicalBase64(b64);
      if (!validName(name) || !raw || raw.length < 5) {
        throw new Invalid(`签名笔记格式错误：签名行无效：${line.slice(0, 80)}`);
      }
      const id = Number(readUint(raw, 0, 4));
      if (name !== verifier.name || id !== verifier.keyId) {
        others.push(keyName({ name, keyId: id }));
        continue;
      }
      if (!await crypto.subtle.verify({ name: "Ed25519" }, verifier.key, raw.slice(4), message)) {
        throw new Invalid(`密钥 ${keyName(verifier)} 的签名无效`);
      }
      verified = true;
    }
    if (!verified) {
      throw new Invalid(`没有密钥 ${keyName(verifier)} 的签名（其他密钥：${others.join("、") || "无"}）`);
    }
    return text;
  }

  function parseCheckpoint(body) {
    if (!body.endsWith("\n")) throw new Invalid("检查点格式错误：应以换行结束");
    const lines = body.slice(0, -1).split("\n");
    if (lines.length < 3) throw new Invalid("检查点格式错误：需要来源、树大小和根哈希三行");
    if (lines.some((line) => !line)) throw new Invalid("检查点格式错误：有空行");
    const [origin, sizeLine, rootLine] = lines;
    if (!/^(?:0|[1-9][0-9]*)$/.test(sizeLine) || BigInt(sizeLine) > (1n << 64n) - 1n) {
      throw new Invalid(`检查点格式错误：树大小 ${sizeLine.slice(0, 40)} 无效`);
    }
    const root = canonicalBase64(rootLine);
    if (!root || root.length !== 32) throw new Invalid("检查点格式错误：根哈希不是 32 字节的 base64");
    return { origin, size: BigInt(sizeLine), root, extensions: lines.slice(3) };
  }

  async function verifyCheckpoint(note, verifier, origin) {
    const checkpoint = parseCheckpoint(await verifyNote(note, verifier));
    if (checkpoint.origin !== origin) {
      throw new Invalid(`检查点来源 “${checkpoint.origin}” 不是预期的 “${origin}”`);
    }
    return checkpoint;
  }

  /* (name, key id) of each well-formed signature line (verify.py _claimed_keys). */
  function claimedKeys(note) {
    const claimed = new Set();
    const block = note.slice(note.lastIndexOf("\n\n") + 2);
    for (const line of block.split(/\r\n|[\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/)) {
      const [name, b64] = partition(line.startsWith(SIG_PREFIX) ? line.slice(SIG_PREFIX.length) : line, " ");
      const raw = base64(b64);
      if (raw && raw.length >= 4) claimed.add(`${name}+${Number(readUint(raw, 0, 4))}`);
    }
    return claimed;
  }

  async function verifyPinnedCheckpoint(note, pinned, origin) {
    if (!pinned.length) throw new Invalid("没有固定公钥");
    const claimed = claimedKeys(note);
    const signers = pinned.filter((v) => claimed.has(`${v.name}+${v.keyId}`));
    if (!signers.length) {
      if (pinned.length === 1) await verifyCheckpoint(note, pinned[0], origin);
      throw new Invalid(`签名笔记没有任何固定公钥的签名（${pinned.map(keyName).join("、")}）`);
    }
    let checkpoint = null;
    for (const signer of signers) checkpoint = await verifyCheckpoint(note, signer, origin);
    return { checkpoint, signers };
  }

  // --- leaves (ledger/log/leaf.py) and the head map (ledger/log/heads.py) ----------------------

  function recordedAtOf(payload) {
    try {
      const value = JSON.parse(strictUtf8.decode(payload));
      if (value === null || typeof value !== "object" || Array.isArray(value)) return "";
      const stamp = value.timestamp;
      if (stamp === undefined) return "";
      return typeof stamp === "string" ? stamp : "";
    } catch {
      return "";
    }
  }

  function uuidBytes(text) {
    const hex = String(text).replace(/-/g, "");
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Invalid("案件编号不是 UUID");
    return fromHex(hex);
  }

  function encodeLeaf(position, caseId, version, topic, payload) {
    const topicBytes = utf8.encode(topic);
    const recorded = utf8.encode(recordedAtOf(payload));
    return concat(
      utf8.encode(LEAF_FORMAT), uint(position, 8), caseId, uint(version, 8),
      uint(topicBytes.length, 4), topicBytes, uint(payload.length, 4), payload,
      uint(recorded.length, 4), recorded,
    );
  }

  const bucketOf = async (caseId) => { const d = await sha256(caseId); return (d[0] << 8) | d[1]; };

  async function decodeBucket(data, bucket) {
    const prefix = utf8.encode(HEADS_FORMAT);
    if (data.length < prefix.length || !equal(data.slice(0, prefix.length), prefix) ||
        (data.length - prefix.length) % 32) {
      throw new Invalid("案件头分桶格式错误");
    }
    const heads = [];
    for (let at = prefix.length; at < data.length; at += 32) {
      heads.push({
        id: data.slice(at, at + 16),
        version: readUint(data, at + 16, 8),
        leaf: readUint(data, at + 24, 8),
      });
    }
    for (let i = 1; i < heads.length; i++) {
      if (compare(heads[i - 1].id, heads[i].id) >= 0) throw new Invalid("案件头分桶未按案件编号严格排序");
    }
    for (const head of heads) {
      if (await bucketOf(head.id) !== bucket) throw new Invalid(`案件头分桶 ${bucket} 含有其他分桶的案件`);
    }
    return heads;
  }

  async function provenHead(caseId, bucketData, path, root) {
    const index = await bucketOf(caseId);
    const heads = await decodeBucket(bucketData, index);
    if (!await verifyInclusion(await leafHash(bucketData), BigInt(index), HEADS_BUCKETS, path, root)) {
      throw new Invalid(`分桶 ${index} 无法到达已签名的案件头根`);
    }
    return heads.find((h) => equal(h.id, caseId)) || null;
  }

  function headsRoot(extensions) {
    const found = extensions.filter((line) => line.startsWith(HEADS_EXTENSION + " "));
    if (!found.length) return null;
    if (found.length > 1) throw new Invalid("检查点有多行案件头根");
    const root = base64(found[0].slice(HEADS_EXTENSION.length + 1));
    if (!root) throw new Invalid("案件头根不是 base64");
    if (root.length !== 32) throw new Invalid("案件头根不是 32 字节");
    return root;
  }

  // --- the bundle (ledger/log/verify.py check_bundle) -----------------------------------------

  const isCount = (n) => Number.isSafeInteger(n) && n >= 0;
  const isText = (s) => typeof s === "string";
  const isTextOrNull = (s) => s === null || s === undefined || typeof s === "string";

  function shapeOf(bundle) {
    const ok = bundle && typeof bundle === "object" && isText(bundle.format) && isText(bundle.origin) &&
      isText(bundle.case_id) && isCount(bundle.tree_size) && isText(bundle.root_hash) &&
      isText(bundle.checkpoint) && Array.isArray(bundle.events) &&
      (bundle.case_version == null || isCount(bundle.case_version)) &&
      (bundle.heads == null || (isText(bundle.heads.bucket) && Array.isArray(bundle.heads.audit_path) &&
        bundle.heads.audit_path.every(isText))) &&
      bundle.events.every((e) => e && typeof e === "object" && isCount(e.leaf_index) &&
        isCount(e.position) && isCount(e.version) && isTextOrNull(e.topic) && isTextOrNull(e.payload) &&
        isText(e.leaf_hash) && Array.isArray(e.audit_path) && e.audit_path.every(isText));
    if (!ok) throw new Invalid("证明包：不是案件证明包（字段缺失或类型不符）");
  }

  async function checkBundle(bundle, pinned) {
    const report = { checked: [], failures: [], warnings: [], signers: [], size: null, complete: null };
    shapeOf(bundle);
    if (bundle.format !== BUNDLE_FORMAT) {
      report.failures.push(`证明包：未知格式 “${bundle.format}”`);
      return report;
    }
    let checkpoint, signers;
    try {
      ({ checkpoint, signers } = await verifyPinnedCheckpoint(bundle.checkpoint, pinned, bundle.origin));
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      report.failures.push(`检查点：${e.message}`);
      return report;
    }
    report.signers = signers.map(keyName);
    report.size = checkpoint.size;
    if (checkpoint.size !== BigInt(bundle.tree_size) || toHex(checkpoint.root) !== bundle.root_hash) {
      report.failures.push("检查点：签名的树大小或根哈希与证明包所写不同");
    }
    report.checked.push(`检查点由 ${report.signers.join("、")} 签名：来源 ${checkpoint.origin}，` +
      `树大小 ${checkpoint.size}，根 ${toHex(checkpoint.root)}`);
    const caseId = uuidBytes(bundle.case_id);
    let proven = 0;
    for (const event of bundle.events) {
      const where = `版本 ${event.version}（叶 ${event.leaf_index}，位置 ${event.position}）`;
      if (event.payload == null || event.topic == null) {
        report.failures.push(`${where}：存储的事件缺失`);
        continue;
      }
      const payload = base64(event.payload);
      if (!payload) {
        report.failures.push(`${where}：载荷不是有效的 base64`);
        continue;
      }
      const recomputed = await leafHash(encodeLeaf(event.position, caseId, event.version, event.topic, payload));
      let sealed = true;
      if (toHex(recomputed) !== event.leaf_hash) {
        report.failures.push(`${where}：存储的事件与封存的叶不符`);
        sealed = false;
      }
      let path;
      try {
        path = event.audit_path.map(fromHex);
      } catch {
        report.failures.push(`${where}：审计路径不是十六进制`);
        continue;
      }
      if (!await verifyInclusion(recomputed, BigInt(event.leaf_index), checkpoint.size, path, checkpoint.root)) {
        report.failures.push(`${where}：包含证明无法到达已签名的根`);
      } else if (sealed) {
        proven += 1;
      }
    }
    const versions = bundle.events.map((e) => e.version).sort((a, b) => a - b);
    if (!versions.every((v, i) => v === i + 1)) {
      const present = new Set(versions);
      const highest = versions.length ? versions[versions.length - 1] : 0;
      const missing = [];
      for (let v = 1; v <= highest && missing.length < 10; v++) if (!present.has(v)) missing.push(v);
      report.failures.push(`案件 ${bundle.case_id}：版本不是完整的 1..n（缺少 [${missing.join(", ")}]，` +
        `重复 ${versions.length - present.size} 个）`);
    }
    report.checked.push(`案件 ${bundle.case_id}：${bundle.events.length} 个事件，版本 1..${versions.length}；` +
      `${proven} 个事件的叶哈希由存储内容重算并证明包含在已签名的树中`);
    await checkComplete(bundle, caseId, checkpoint, report);
    return report;
  }

  async function checkComplete(bundle, caseId, checkpoint, report) {
    let root;
    try {
      root = headsRoot(checkpoint.extensions);
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      report.failures.push(`检查点：${e.message}`);
      return;
    }
    if (root === null) {
      report.warnings.push(`大小为 ${checkpoint.size} 的检查点早于案件头映射：只能证明这些事件在日志中，` +
        "不能证明它们是本案的全部事件");
      return;
    }
    if (bundle.heads == null) {
      report.failures.push("案件头：检查点签署了案件头，证明包却没有案件头证明");
      return;
    }
    let head;
    try {
      const bucket = base64(bundle.heads.bucket);
      if (!bucket) throw new Invalid("分桶不是有效的 base64");
      head = await provenHead(caseId, bucket, bundle.heads.audit_path.map(fromHex), root);
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      report.failures.push(`案件头：${e.message}`);
      return;
    }
    const last = bundle.events.reduce((a, e) => (a === null || e.version > a.version ? e : a), null);
    if (head === null) {
      report.failures.push(`案件头：检查点中没有案件 ${bundle.case_id} 的头`);
    } else if (last === null || head.version !== BigInt(last.version) || head.leaf !== BigInt(last.leaf_index)) {
      const held = last === null ? "没有事件" : `最后的事件为版本 ${last.version}（叶 ${last.leaf_index}）`;
      report.failures.push(`案件 ${bundle.case_id} 不完整：检查点签署的头为版本 ${head.version}` +
        `（叶 ${head.leaf}），证明包${held}`);
    } else if (bundle.case_version != null && BigInt(bundle.case_version) !== head.version) {
      report.failures.push(`案件 ${bundle.case_id}：证明包声称版本 ${bundle.case_version}，` +
        `检查点签署的头为版本 ${head.version}`);
    } else {
      report.complete = Number(head.version);
      report.checked.push(`案件 ${bundle.case_id}：截至树大小 ${checkpoint.size} 完整` +
        `（已签名的头：版本 ${head.version}，叶 ${head.leaf}）`);
    }
  }

  // --- the page -------------------------------------------------------------------------------

  function start(panel) {
    const field = panel.querySelector("#pinned-key");
    const keyNote = panel.querySelector("#key-note");
    const result = panel.querySelector("#verify-result");
    const details = panel.querySelector("#verify-details");
    const list = panel.querySelector("#verify-lines");
    let source = "none";

    const noteKey = (kind) => {
      source = kind;
      keyNote.dataset.source = kind;
      keyNote.textContent = {
        pinned: "已固定在本浏览器（保存在本机，换一台电脑需重新固定）。更换公钥：改写上面的内容即可。",
        server: "此公钥取自本服务器，尚未固定。请先从可信来源（公告、另一渠道取得的 ledger.pub）核对，" +
          "再点击“固定此公钥”：用服务器自己提供的公钥，发现不了服务器自身的篡改。",
        none: "请粘贴日志公钥（名称+密钥ID+密钥，每行一个；轮换后的旧公钥可一并固定）。",
      }[kind];
    };
    const pin = () => {
      const value = field.value.trim();
      if (value) { localStorage.setItem(STORE, value); noteKey("pinned"); }
      else { localStorage.removeItem(STORE); noteKey("none"); }
    };

    const stored = localStorage.getItem(STORE);
    if (stored) {
      field.value = stored;
      noteKey("pinned");
    } else {
      noteKey("none");
      fetch("/audit/public-key", { cache: "no-store" })
        .then((r) => (r.ok ? r.text() : ""))
        .then((text) => {
          if (text.trim() && !field.value.trim() && source === "none") {
            field.value = text.trim();
            noteKey("server");
          }
        })
        .catch(() => {});
    }
    field.addEventListener("input", pin);
    panel.querySelector("#pin-button").addEventListener("click", pin);

    const show = (state, headline, report) => {
      result.dataset.result = state;
      result.textContent = headline;
      list.replaceChildren();
      for (const [word, lines] of [["通过", report?.checked], ["警告", report?.warnings], ["失败", report?.failures]]) {
        for (const line of lines || []) {
          const item = document.createElement("li");
          item.dataset.kind = word;
          item.textContent = `${word}：${line}`;
          list.append(item);
        }
      }
      details.hidden = !list.children.length;
    };

    panel.querySelector("#verify-button").addEventListener("click", async () => {
      show("running", "校验中…", null);
      try {
        show(...await verify(panel, field.value, source));
      } catch (e) {
        show("failed", `校验失败：${e instanceof Invalid ? e.message : `无法完成校验（${e}）`}`, null);
      }
    });
  }

  async function verify(panel, keysText, source) {
    if (!window.crypto || !crypto.subtle) {
      throw new Invalid("浏览器在非安全连接下不提供 WebCrypto：请通过 HTTPS 或本机地址打开，" +
        "或下载证明包用 ledger verify 核验");
    }
    const lines = keysText.split("\n").map((s) => s.trim()).filter(Boolean);
    if (!lines.length) throw new Invalid("请先填写固定公钥");
    const pinned = [];
    for (const line of lines) {
      try {
        pinned.push(await parseVerifierKey(line));
      } catch (e) {
        throw new Invalid(`固定公钥无效：${e instanceof Invalid ? e.message : e}`);
      }
    }
    const response = await fetch(panel.dataset.bundle, {
      cache: "no-store", credentials: "same-origin", headers: { Accept: "application/json" },
    });
    if (response.status === 503) throw new Invalid("案件尚未写入已签名的检查点（公证尚未封存），请稍后再试");
    if (!response.ok) throw new Invalid(`无法取得证明包（HTTP ${response.status}）`);
    if (!(response.headers.get("content-type") || "").includes("json")) {
      throw new Invalid("无法取得证明包：未登录或会话已过期");
    }
    let bundle;
    try {
      bundle = JSON.parse(await response.text());
    } catch {
      throw new Invalid("证明包：不是有效的 JSON");
    }
    const report = await checkBundle(bundle, pinned);
    if (report.failures.length) {
      return ["failed", `校验失败：${report.failures[0]}`, report];
    }
    const latest = Number(panel.dataset.version);
    let summary = `已验证：检查点由 ${report.signers.join("、")} 签名（树大小 ${report.size}）；` +
      `${bundle.events.length} 个事件（版本 1..${bundle.events.length}）的叶哈希与包含证明均通过`;
    summary += report.complete !== null ? "；案件头证明版本完整、无遗漏。" : `。${report.warnings.join("；")}`;
    if (bundle.case_version != null && bundle.case_version < latest) {
      summary += `当前版本为 ${latest}，其后的事件尚未封存进检查点，下次核验时包含。`;
    }
    if (source === "server") summary += "（注意：所用公钥取自本服务器，尚未独立固定。）";
    return ["verified", summary, report];
  }

  const panel = document.getElementById("verify");
  if (panel) start(panel);
})();

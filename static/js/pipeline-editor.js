// The data pipeline editor: add published modules of the allowed kind from the library, reorder
// steps by drag and drop (SortableJS) or with the up/down buttons (keyboard), fill each step's
// parameter form (built from its version's schema), validate, then save (YAML in the dataset's
// repository, through the REST API) and run. No inline script: the page's data is in data-*.
(() => {
  const root = document.getElementById("pipeline-editor");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const stepsList = $("pipeline-steps");
  const errors = $("editor-errors");
  const csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  const PLATFORM = new Set(["input_path", "output_path"]);
  const documentIn = JSON.parse(root.dataset.document || "{}");

  const element = (tag, attributes = {}, children = []) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (key === "text") node.textContent = value;
      else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) node.append(child);
    return node;
  };

  const showErrors = (messages) => {
    errors.replaceChildren(...messages.map((m) => element("div", { text: m })));
    errors.hidden = messages.length === 0;
  };

  const api = async (url, method = "GET", body = undefined) => {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    if (!response.ok) {
      const detail = data && (data.detail || Object.entries(data).map(([k, v]) => `${k}: ${v}`).join("; "));
      throw new Error(detail || `The hub answered ${response.status}.`);
    }
    return data;
  };

  // -- parameters -------------------------------------------------------------------------
  const userParameters = (schema) => (schema || []).filter((p) => !PLATFORM.has(p.name) && p.visible !== false);
  const isSwitch = (p) => p.action === "store_true" || p.action === "store_false";
  const isList = (p) => p.nargs === "+" || p.nargs === "*" || (Number.isInteger(p.nargs) && p.nargs > 1 && !isSwitch(p));

  const parameterField = (step, p, value) => {
    const id = `step-${step.key}-${p.name}`;
    const current = value === undefined ? p.default : value;
    let input;
    if (isSwitch(p)) {
      input = element("input", { type: "checkbox", id, "data-param": p.name, "data-testid": `param-${p.name}` });
      input.checked = Boolean(current);
    } else if (p.choices && p.choices.length) {
      input = element("select", { id, "data-param": p.name, "data-testid": `param-${p.name}` },
        p.choices.map((c) => element("option", { value: String(c), text: String(c) })));
      if (current !== null && current !== undefined) input.value = String(current);
    } else {
      const numeric = !isList(p) && (p.type === "int" || p.type === "float");
      input = element("input", {
        id, "data-param": p.name, "data-testid": `param-${p.name}`,
        type: numeric ? "number" : "text", step: p.type === "int" ? "1" : (numeric ? "any" : null),
        placeholder: isList(p) ? "values separated by spaces" : null,
      });
      if (current !== null && current !== undefined) input.value = Array.isArray(current) ? current.join(" ") : String(current);
    }
    return element("label", { for: id, title: p.help || null },
      [`${(p.flags || [p.name]).join(", ")}${p.required ? " *" : ""} `, input]);
  };

  const readParameters = (item) => {
    const step = item.step;
    const values = {};
    const problems = [];
    for (const p of userParameters(step.schema)) {
      const input = item.querySelector(`[data-param="${p.name}"]`);
      if (!input) continue;
      if (isSwitch(p)) { values[p.name] = input.checked; continue; }
      const raw = input.value.trim();
      if (raw === "") {
        if (p.required) problems.push(`Step ${item.dataset.position}: ${p.name} is required.`);
        continue;
      }
      const parts = isList(p) ? raw.split(/\s+/) : [raw];
      const parsed = [];
      for (const part of parts) {
        if (p.type === "int" && !/^-?\d+$/.test(part)) problems.push(`Step ${item.dataset.position}: ${p.name} expects a whole number, not "${part}".`);
        else if (p.type === "float" && !Number.isFinite(Number(part))) problems.push(`Step ${item.dataset.position}: ${p.name} expects a number, not "${part}".`);
        parsed.push(p.type === "int" || p.type === "float" ? Number(part) : part);
      }
      values[p.name] = isList(p) ? parsed : parsed[0];
    }
    return { values, problems };
  };

  // -- steps ------------------------------------------------------------------------------
  let counter = 0;
  const renumber = () => {
    const items = [...stepsList.children];
    items.forEach((item, index) => {
      item.dataset.position = String(index + 1);
      item.querySelector(".step-number").textContent = `${index + 1}.`;
      item.querySelector("[data-move=up]").disabled = index === 0;
      item.querySelector("[data-move=down]").disabled = index === items.length - 1;
    });
    $("no-steps").hidden = items.length > 0;
  };

  const renderParameters = (item, values) => {
    const step = item.step;
    const chosen = step.versions.find((v) => v.version === step.version);
    step.schema = chosen ? chosen.parameters : [];
    const fields = userParameters(step.schema).map((p) => parameterField(step, p, values ? values[p.name] : undefined));
    item.querySelector(".step-parameters").replaceChildren(
      ...(fields.length ? fields : [element("p", { class: "muted small", text: "No visible parameters." })]));
  };

  const addStep = (module, versions, version, values) => {
    const step = { key: ++counter, module, versions, version: version || (versions[0] && versions[0].version), schema: [] };
    const select = element("select", { "data-testid": "step-version", "aria-label": `Version of ${module}` },
      versions.map((v) => element("option", { value: String(v.version), text: `v${v.version}` })));
    if (step.version) select.value = String(step.version);
    const button = (text, move, label) => element("button", { type: "button", "data-move": move, "aria-label": label, text });
    const item = element("li", { class: "pipeline-step", "data-module": module, "data-testid": "pipeline-step" }, [
      element("div", { class: "step-head" }, [
        element("span", { class: "drag-handle", title: "Drag to reorder", "aria-hidden": "true", text: "⠿" }),
        element("span", { class: "step-number" }),
        element("strong", { class: "step-module", text: ` ${module} ` }),
        select,
        button("↑", "up", `Move ${module} up`),
        button("↓", "down", `Move ${module} down`),
        button("Remove", "remove", `Remove ${module}`),
      ]),
      element("div", { class: "step-parameters stack" }),
    ]);
    item.step = step;
    select.addEventListener("change", () => {
      step.version = Number(select.value);
      renderParameters(item);
    });
    stepsList.append(item);
    renderParameters(item, values);
    renumber();
    return item;
  };

  stepsList.addEventListener("click", (event) => {
    const target = event.target.closest("[data-move]");
    if (!target) return;
    const item = target.closest("li");
    const move = target.dataset.move;
    if (move === "up" && item.previousElementSibling) stepsList.insertBefore(item, item.previousElementSibling);
    else if (move === "down" && item.nextElementSibling) stepsList.insertBefore(item.nextElementSibling, item);
    else if (move === "remove") item.remove();
    renumber();
    if (move !== "remove" && document.body.contains(item)) item.querySelector(`[data-move=${move}]`).focus();
  });

  if (window.Sortable) {
    window.Sortable.create(stepsList, {
      handle: ".drag-handle", animation: 0, forceFallback: true, fallbackTolerance: 3, onEnd: renumber,
    });
  }

  const publishedVersions = async (fullName) => {
    const versions = await api(`/api/v1/modules/${fullName}/publications/`);
    return versions.filter((v) => v.status === "published").sort((a, b) => b.version - a.version);
  };

  // -- library search ---------------------------------------------------------------------
  const results = $("library-results");
  let searchTimer = null;
  const search = async () => {
    const url = new URL(root.dataset.modulesUrl, window.location.href);
    url.searchParams.set("kind", root.dataset.kind);
    url.searchParams.set("q", $("library-search").value.trim());
    try {
      const page = await api(url.toString());
      const modules = page.results || page;
      results.replaceChildren(...modules.map((m) => {
        const fullName = `${m.namespace}/${m.slug}`;
        const add = element("button", { type: "button", "data-testid": `add-${fullName}`, text: "Add" });
        add.addEventListener("click", async () => {
          try {
            const versions = await publishedVersions(fullName);
            if (!versions.length) throw new Error(`${fullName} has no published version.`);
            addStep(fullName, versions);
            showErrors([]);
          } catch (error) { showErrors([error.message]); }
        });
        return element("li", { "data-module": fullName }, [add, ` ${fullName} `, element("span", { class: "muted small", text: m.description || "" })]);
      }));
      if (!modules.length) results.replaceChildren(element("li", { class: "muted", text: "No published Data Operations match." }));
    } catch (error) { showErrors([error.message]); }
  };
  $("library-search").addEventListener("input", () => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(search, 250);
  });

  // -- document in and out ----------------------------------------------------------------
  const currentDocument = () => {
    const problems = [];
    const name = $("pipeline-name").value.trim();
    if (!name) problems.push("Give the pipeline a name.");
    const items = [...stepsList.children];
    if (!items.length) problems.push("Add at least one step.");
    const steps = items.map((item) => {
      const { values, problems: stepProblems } = readParameters(item);
      problems.push(...stepProblems);
      return { module: item.step.module, version: item.step.version, parameters: values };
    });
    const inputs = [...root.querySelectorAll("input[name=input_path]:checked")].map((i) => i.value);
    return { document: { name, ref: $("pipeline-ref").value.trim(), inputs, steps }, problems };
  };

  const slugOf = (name) => name.toLowerCase().normalize("NFKD").replace(/[^\w\s-]/g, "").trim().replace(/[-\s]+/g, "-").replace(/^[-_]+|[-_]+$/g, "");

  const act = async (save, run) => {
    const { document: doc, problems } = currentDocument();
    if (problems.length) { showErrors(problems); return; }
    showErrors([]);
    try {
      let result;
      if (save) {
        const saved = await api(root.dataset.saveUrl, "POST", doc);
        if (run) result = await api(`${root.dataset.saveUrl}${saved.slug}/run/`, "POST");
        else window.location.assign(`${window.location.pathname}?name=${encodeURIComponent(saved.slug || slugOf(doc.name))}&saved=1`);
      } else {
        result = await api(root.dataset.runUrl, "POST", { ...doc, dataset: root.dataset.dataset });
      }
      if (result) window.location.assign(result.url);
    } catch (error) { showErrors([error.message]); }
  };
  $("save-run").addEventListener("click", () => act(true, true));
  $("save-only").addEventListener("click", () => act(true, false));
  $("run-only").addEventListener("click", () => act(false, true));

  const load = async () => {
    $("pipeline-name").value = documentIn.name || "";
    $("pipeline-ref").value = documentIn.ref || "";
    const inputs = new Set(documentIn.inputs || []);
    root.querySelectorAll("input[name=input_path]").forEach((box) => { box.checked = inputs.has(box.value); });
    const problems = [];
    for (const step of documentIn.steps || []) {
      try {
        addStep(step.module, await publishedVersions(step.module), step.version, step.parameters || {});
      } catch (error) { problems.push(`${step.module}: ${error.message}`); }
    }
    showErrors(problems);
    renumber();
    root.dataset.ready = "true";
  };
  load();
  search();
})();

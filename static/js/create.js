// The create page shows the URL the new module will have, from the path (slug) or the name.
(() => {
  const preview = document.getElementById("url-preview");
  const name = document.getElementById("id_name");
  const slug = document.getElementById("id_slug");
  if (!preview || !name) return;
  const slugify = (text) => text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9._-]+/g, "-").replace(/^[^a-z0-9]+|-+$/g, "").slice(0, 64);
  const update = () => {
    const path = (slug && slug.value.trim()) || slugify(name.value) || "<name>";
    preview.textContent = `${preview.dataset.base}${path}/`;
  };
  name.addEventListener("input", update);
  if (slug) slug.addEventListener("input", update);
  update();
})();

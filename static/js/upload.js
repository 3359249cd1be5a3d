// Folder uploads: browsers send each file's base name only, so record the paths inside the
// chosen folder (in the order the files are sent) for the server to commit them where they were.
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!input.matches("input[type=file][data-folder-paths]")) return;
  const target = document.querySelector(input.dataset.folderPaths);
  target.value = JSON.stringify(Array.from(input.files, (file) => file.webkitRelativePath || file.name));
});

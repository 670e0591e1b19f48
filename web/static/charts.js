// A chart's value under the pointer, or under a finger (a phone has no hover for <title>),
// written in the chart's caption.
for (const chart of document.querySelectorAll(".chart")) {
  const readout = chart.querySelector(".readout");
  for (const bar of chart.querySelectorAll("rect.hover")) {
    const show = () => { readout.textContent = `${bar.dataset.day} · ${bar.dataset.value}`; };
    bar.addEventListener("pointerenter", show);
    bar.addEventListener("click", show);
  }
}

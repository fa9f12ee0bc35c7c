// Applies the theme chosen with the page's theme button before the page is drawn (no flash of
// the other theme). A file of its own, not inline: the Content-Security-Policy allows no inline
// scripts. Loaded without `defer` in <head>, so it runs before the body is parsed.
try {
  const theme = localStorage.getItem("runnel-theme");
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
} catch { /* storage blocked (private mode): the system theme applies */ }

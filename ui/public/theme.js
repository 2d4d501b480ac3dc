// The theme before the first paint, so a dark-theme user never sees a white
// flash. Loaded as a file: the Content-Security-Policy allows no inline script.
try {
  var t = localStorage.getItem('polytrace.theme');
  if (t !== 'light' && t !== 'dark') t = matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  document.documentElement.dataset.theme = t;
} catch (e) {}

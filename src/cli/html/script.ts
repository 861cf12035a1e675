/**
 * The page's only script: copy buttons on code blocks. Everything else is static HTML, so the
 * report reads the same with scripts off (and in `chromium --dump-dom`).
 */
export const SCRIPT = `
document.addEventListener('click', function (event) {
  var button = event.target.closest && event.target.closest('.codeblock button');
  if (!button) return;
  var code = button.parentElement.querySelector('code').textContent;
  function done(text) { button.textContent = text; setTimeout(function () { button.textContent = 'Copy'; }, 1500); }
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(code).then(function () { done('Copied'); }, function () { done('Select & copy'); });
  } else {
    var range = document.createRange(); range.selectNodeContents(button.parentElement.querySelector('code'));
    var selection = getSelection(); selection.removeAllRanges(); selection.addRange(range); done('Selected');
  }
});
`;

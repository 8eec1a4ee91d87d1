// Small enhancements; every page works without them.
const csrf = () => document.querySelector('input[name=csrf_token]')?.value || '';

// Votes in place: the same form, sent with fetch; the counts come back from the API.
document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!form.matches('[data-vote]')) return;
  const button = event.submitter;
  if (!button) return;
  event.preventDefault();
  const body = new FormData(form);
  body.set('value', button.value);
  const response = await fetch(form.action, { method: 'POST', body, headers: { Accept: 'application/json', 'X-CSRF-Token': csrf() } });
  if (!response.ok) { form.submit(); return; }
  const score = await response.json();
  form.querySelector('[data-up]').textContent = score.up ?? score.score?.up ?? '';
  form.querySelector('[data-down]').textContent = score.down ?? score.score?.down ?? '';
  const [up, down] = form.querySelectorAll('button');
  const mine = Number(button.value);
  up.value = mine === 1 ? '0' : '1';
  down.value = mine === -1 ? '0' : '-1';
  up.setAttribute('aria-pressed', String(mine === 1));
  down.setAttribute('aria-pressed', String(mine === -1));
});

// Ask before destructive buttons.
document.addEventListener('click', (event) => {
  const button = event.target.closest('[data-confirm]');
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});

// Submit form: show only the fields of the chosen kind, and a preview of the picture.
const submitForm = document.querySelector('[data-submit]');
if (submitForm) {
  const sync = () => {
    const kind = submitForm.querySelector('input[name=kind]:checked')?.value;
    submitForm.querySelectorAll('[data-for]').forEach((el) => { el.hidden = !el.dataset.for.split(' ').includes(kind); });
  };
  submitForm.addEventListener('change', sync);
  sync();
  const file = submitForm.querySelector('input[type=file]');
  const preview = submitForm.querySelector('[data-preview]');
  file?.addEventListener('change', () => {
    const chosen = file.files?.[0];
    if (!chosen) { preview.hidden = true; return; }
    const reader = new FileReader();
    reader.onload = () => { preview.src = reader.result; preview.hidden = false; };
    reader.readAsDataURL(chosen);
  });
}

// "More": the next page of a feed appended in place, from the same server-rendered page.
document.addEventListener('click', async (event) => {
  const link = event.target.closest('a[data-more]');
  if (!link) return;
  event.preventDefault();
  const response = await fetch(link.href);
  if (!response.ok) { window.location = link.href; return; }
  const next = new DOMParser().parseFromString(await response.text(), 'text/html');
  const feed = document.querySelector('[data-feed]');
  next.querySelectorAll('[data-feed] > article').forEach((card) => feed.append(document.adoptNode(card)));
  const nextLink = next.querySelector('a[data-more]');
  if (nextLink) link.href = nextLink.href; else link.closest('nav')?.remove();
});

// Reply in place: the reply form of the comment's own page, brought here.
document.addEventListener('click', async (event) => {
  const link = event.target.closest('a[data-reply]');
  if (!link) return;
  event.preventDefault();
  const id = link.dataset.reply;
  const existing = document.getElementById(`reply-form-${id}`);
  if (existing) { existing.querySelector('textarea')?.focus(); return; }
  const response = await fetch(link.href);
  if (!response.ok) { window.location = link.href; return; }
  const page = new DOMParser().parseFromString(await response.text(), 'text/html');
  const form = page.getElementById(`reply-form-${id}`);
  if (!form) { window.location = link.href; return; }
  link.closest('.actions').after(document.adoptNode(form));
  form.querySelector('textarea')?.focus();
});

// "More comments": the next page of top-level comments appended to the discussion in place.
document.addEventListener('click', async (event) => {
  const link = event.target.closest('a[data-more-comments]');
  if (!link) return;
  event.preventDefault();
  const response = await fetch(link.href);
  if (!response.ok) { window.location = link.href; return; }
  const next = new DOMParser().parseFromString(await response.text(), 'text/html');
  const list = document.querySelector('#comments > ol.comments');
  next.querySelectorAll('#comments > ol.comments > li').forEach((item) => list?.append(document.adoptNode(item)));
  const nextLink = next.querySelector('a[data-more-comments]');
  if (nextLink) link.href = nextLink.href; else link.closest('nav')?.remove();
});

// Live preview under every Markdown text box: the API renders it, sanitised, as the post or comment will show.
const previewUrl = document.body.dataset.previewUrl;
const later = (fn, ms) => { let timer; return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); }; };
if (previewUrl) {
  document.querySelectorAll('textarea[name=body]').forEach((box) => {
    const shown = document.createElement('div');
    shown.className = 'markup-preview';
    shown.setAttribute('aria-live', 'polite');
    shown.hidden = true;
    box.after(shown);
    box.addEventListener('input', later(async () => {
      if (!box.value.trim()) { shown.hidden = true; return; }
      const body = new FormData();
      body.set('body', box.value);
      const response = await fetch(previewUrl, { method: 'POST', body, headers: { Accept: 'application/json', 'X-CSRF-Token': csrf() } });
      if (!response.ok || !response.headers.get('Content-Type')?.includes('json')) return;
      shown.innerHTML = (await response.json()).body_html;  // the API's sanitised HTML
      shown.hidden = false;
    }, 400));
  });
}

// An edit's changes shown as they are typed: the form's own "Preview changes", asked in the background.
const editForm = document.querySelector('form[data-edit-preview]');
if (editForm) {
  editForm.addEventListener('input', later(async () => {
    const body = new FormData(editForm);
    body.set('action', 'preview');
    const response = await fetch(editForm.action, { method: 'POST', body });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), 'text/html');
    const fresh = page.querySelector('section.preview');
    const current = document.querySelector('section.preview');
    if (!fresh) return;
    if (current) current.replaceWith(document.adoptNode(fresh)); else editForm.before(document.adoptNode(fresh));
  }, 700));
}

/* SPDX-License-Identifier: MIT */
// qt-compat.h — every place where the shim's source differs between Qt 5
// and Qt 6, each with what changed and since which Qt. Private, never
// installed; the C API above it is the same on both.
#ifndef CQT_QT_COMPAT_H
#define CQT_QT_COMPAT_H

#include <QtCore/QMetaType>
#include <QtCore/QtGlobal>

#define CQT_QT6 (QT_VERSION >= QT_VERSION_CHECK(6, 0, 0))

// QShortcut moved from QtWidgets to QtGui in Qt 6.0 (it no longer needs a
// QWidget parent); the class and its API are otherwise the same.
#if CQT_QT6
#define CQT_QSHORTCUT_HEADER <QtGui/QShortcut>
#else
#define CQT_QSHORTCUT_HEADER <QtWidgets/QShortcut>
#endif

namespace cqt {

// QKeySequence::operator[] returns a QKeyCombination since Qt 6.0 (an int,
// key | modifiers, before); comparing it with a Qt::Key is ambiguous there.
// This gives the int of both: key and modifier bits combined.
template <typename KeySequence>
inline int key_combined(const KeySequence &seq, int i)
{
#if CQT_QT6
    return seq[i].toCombined();
#else
    return seq[i];
#endif
}

// A default-constructed value of the type registered under @name (nullptr
// if there is none), and its release. Qt 6.0 replaced the int type ids of
// QMetaType::type()/create(int)/destroy(int, p) with QMetaType values
// (QMetaType::fromName, create, destroy); the integer API is gone.
inline void *metatype_create(const char *name)
{
#if CQT_QT6
    QMetaType mt = QMetaType::fromName(name);
    return mt.isValid() ? mt.create() : nullptr;
#else
    int id = QMetaType::type(name);
    return id == QMetaType::UnknownType ? nullptr : QMetaType::create(id);
#endif
}

inline void metatype_destroy(const char *name, void *p)
{
#if CQT_QT6
    QMetaType::fromName(name).destroy(p);
#else
    QMetaType::destroy(QMetaType::type(name), p);
#endif
}

} // namespace cqt

#endif
